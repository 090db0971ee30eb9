/**
 * The product service end to end, in-process, as a scaffolded service is tested
 * (templates/service/__name__.test.ts): its gRPC server and REST app on loopback ports, over
 * a migrated SQLite file in a temp dir. The dashboard is not running: copies arrive through
 * this service's own ProductReceiverService, and likes are recorded and wait, pending, for
 * the dashboard (test/e2e covers the two together).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serveInProcess, type ServedService } from '../../test/support/in-process.js';
import { createClient, type PromiseClient } from '../framework/index.js';
import { proto } from '../stubs/index.js';
import service from './index.js';

const ID = '6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b';
const USER = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

let served: ServedService;
let receiver: PromiseClient<typeof proto.product_receiver.ProductReceiverService.service>;

const rest = (method: string, urlPath: string, body?: unknown) => served.rest(method, urlPath, body);

beforeAll(async () => {
  // Port 1 on loopback refuses at once: the dashboard is down.
  served = await serveInProcess(service, { DASHBOARD_GRPC_SERVER: '127.0.0.1:1', MGRPC_SYNC_WAIT_MS: '50' });
  receiver = createClient(proto.product_receiver.ProductReceiverService.service, served.grpc.url, { name: 'product gRPC', deadlineMs: 5000 });
});

afterAll(async () => {
  receiver?.close();
  await served?.close();
});

describe('product copies over gRPC, read over REST', () => {
  it('creates, updates and deletes a copy by product_id', async () => {
    expect(await receiver.CreateProductFromReceiver({ productReceiver: { productId: ID, title: 'Chair', image: '' } })).toMatchObject({ productReceiver: { productId: ID, title: 'Chair' } });
    expect(await rest('GET', `/products/${ID}`)).toMatchObject({ status: 200, body: { id: ID, title: 'Chair', image: null } });
    await receiver.Update({ productReceiver: { productId: ID, title: 'Armchair', image: 'https://example.com/a.png' } });
    expect((await rest('GET', '/products')).body).toContainEqual(expect.objectContaining({ id: ID, title: 'Armchair', image: 'https://example.com/a.png' }));
    await receiver.Delete({ productId: ID });
    expect((await rest('GET', `/products/${ID}`)).status).toBe(404);
  });

  it('lists the copies searched, filtered and a page at a time', async () => {
    const ids = ['6f1c2a9e-3b4d-4e5f-8a7b-000000000001', '6f1c2a9e-3b4d-4e5f-8a7b-000000000002'];
    for (const [i, productId] of ids.entries()) await receiver.CreateProductFromReceiver({ productReceiver: { productId, title: `Stool ${i}`, image: '' } });
    expect((await rest('GET', '/products?search=stool&ordering=-title')).body.map((p: { id: string }) => p.id)).toEqual([...ids].reverse());
    expect((await rest('GET', `/products?id=${ids[0]}`)).body.map((p: { title: string }) => p.title)).toEqual(['Stool 0']);
    expect((await rest('GET', '/products?search=stool&page=2&page_size=1')).body).toMatchObject({ count: 2, next: null, results: [{ id: ids[1] }] });
    expect((await rest('GET', '/products?search=stool&page=3&page_size=1')).status).toBe(404);
  });

  it('answers bad copies with INVALID_ARGUMENT naming the field, and REST writes with 405', async () => {
    await expect(receiver.CreateProductFromReceiver({ productReceiver: { productId: 'nope', title: 'x', image: '' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'product_id: must be a UUID' });
    await expect(receiver.Update({ productReceiver: { productId: MISSING_ID, title: '', image: '' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await rest('POST', '/products', { title: 'x' })).status).toBe(405);
  });
});

describe('likes over REST', () => {
  it('records a like while the dashboard is down (202 pending), refuses a second by the same user, and unknown products', async () => {
    await receiver.CreateProductFromReceiver({ productReceiver: { productId: ID, title: 'Liked', image: '' } });
    expect(await rest('POST', `/products/${ID}/like`, { user_id: USER })).toMatchObject({ status: 202, body: { status: 'pending', product_id: ID, user_id: USER } });
    expect(await rest('POST', `/products/${ID}/like`, { user_id: USER })).toMatchObject({ status: 409, body: { code: 'ALREADY_EXISTS' } });
    expect((await rest('POST', `/products/${MISSING_ID}/like`, { user_id: USER })).status).toBe(404);
    expect(await rest('GET', `/products/${ID}/like?userid=${USER}`)).toMatchObject({ status: 400, body: { field: 'userid' } });
  });
});
