/**
 * The dashboard end to end, in-process, as a scaffolded service is tested
 * (templates/service/__name__.test.ts): its gRPC server and REST app on loopback ports,
 * over a migrated SQLite file in a temp dir. The product service is not running: writes
 * answer after MGRPC_SYNC_WAIT_MS with their copies queued (test/e2e covers the two together).
 */
import path from 'node:path';

import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serveInProcess, type ServedService } from '../../test/support/in-process.js';
import { createClient, type PromiseClient } from '../framework/index.js';
import { proto } from '../stubs/index.js';
import service from './index.js';

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

let served: ServedService;
let products: PromiseClient<typeof proto.product.ProductService.service>;
let users: PromiseClient<typeof proto.user.UserService.service>;

const rest = (method: string, urlPath: string, body?: unknown) => served.rest(method, urlPath, body);

beforeAll(async () => {
  // Port 1 on loopback refuses at once: the product service is down.
  served = await serveInProcess(service, { PRODUCT_GRPC_SERVER: '127.0.0.1:1', MGRPC_SYNC_WAIT_MS: '50' });
  products = createClient(proto.product.ProductService.service, served.grpc.url, { name: 'dashboard gRPC', deadlineMs: 5000 });
  users = createClient(proto.user.UserService.service, served.grpc.url, { name: 'dashboard gRPC', deadlineMs: 5000 });
});

afterAll(async () => {
  products?.close();
  users?.close();
  await served?.close();
});

describe('dashboard over REST', () => {
  it('creates, lists, retrieves, updates and deletes a product', async () => {
    const created = await rest('POST', '/products', { title: 'Lamp', image: 'https://example.com/lamp.png' });
    expect(created).toMatchObject({ status: 201, body: { title: 'Lamp', image: 'https://example.com/lamp.png', likes: 0 } });
    const id: string = created.body.id;
    expect((await rest('GET', '/products')).body.map((p: { id: string }) => p.id)).toContain(id);
    expect(await rest('GET', `/products/${id}`)).toMatchObject({ status: 200, body: { id, title: 'Lamp' } });
    expect(await rest('PUT', `/products/${id}`, { title: 'Desk lamp', image: null })).toMatchObject({ status: 200, body: { id, title: 'Desk lamp', image: null } });
    expect(await rest('PATCH', `/products/${id}`, { image: '' })).toMatchObject({ status: 200, body: { id, image: null } });
    expect((await rest('DELETE', `/products/${id}`)).status).toBe(204);
    expect((await rest('GET', `/products/${id}`)).status).toBe(404);
  });

  it('creates users and answers a random one; refuses bad input naming the field', async () => {
    const user = await rest('POST', '/user');
    expect(user.status).toBe(201);
    expect((await rest('GET', '/user')).body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await rest('POST', '/products', { title: 'x'.repeat(201) })).toMatchObject({ status: 400, body: { field: 'title' } });
    expect(await rest('POST', '/products', { title: 'Lamp', likes: 5 })).toMatchObject({ status: 400, body: { field: 'likes' } });
    expect(await rest('GET', '/products?colour=red')).toMatchObject({ status: 400, body: { field: 'colour' } });
    expect(await rest('GET', '/products/not-a-uuid')).toMatchObject({ status: 400, body: { field: 'id' } });
  });
});

describe('product lists over both transports', () => {
  it('search, filter, order and page alike over REST and ListProducts', async () => {
    for (const title of ['Qz pencil HB', 'Qz pencil 2B', 'Qz pen']) expect((await rest('POST', '/products', { title })).status).toBe(201);
    const page = await rest('GET', '/products?search=qz%20pencil&ordering=-title&page=1&page_size=1');
    expect(page.body).toMatchObject({ count: 2, previous: null, results: [{ title: 'Qz pencil HB' }] });
    expect(page.body.next).toMatch(/\/api\/products\?search=qz\+pencil&ordering=-title&page=2&page_size=1$/);
    expect((await rest('GET', '/products?title=Qz%20pen&likes=0')).body.map((p: { title: string }) => p.title)).toEqual(['Qz pen']);
    expect(await rest('GET', '/products?ordering=colour')).toMatchObject({ status: 400, body: { field: 'ordering' } });

    const first = await products.ListProducts({ search: 'qz pencil', orderBy: 'title desc', pageSize: 1 });
    expect(first.items.map((p) => p.title)).toEqual(['Qz pencil HB']);
    expect(first.totalSize).toBe(2);
    const second = await products.ListProducts({ search: 'qz pencil', orderBy: 'title desc', pageSize: 1, pageToken: first.nextPageToken });
    expect(second.items.map((p) => p.title)).toEqual(['Qz pencil 2B']);
    expect(second.nextPageToken).toBe('');
    expect((await products.ListProducts({ filter: 'title = "Qz pen" AND likes = 0' })).items.map((p) => p.title)).toEqual(['Qz pen']);
    await expect(products.ListProducts({ filter: 'colour = red' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('(expected id, title, image, likes, created_at, updated_at)') });
    await expect(products.ListProducts({ search: 'qz', pageToken: first.nextPageToken })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^page_token: was issued for another/) });
  });
});

describe('dashboard over gRPC', () => {
  it('likes one at a time and in a batch, each like answered with its own count', async () => {
    const id: string = (await rest('POST', '/products', { title: 'Liked' })).body.id;
    const { id: userId } = await users.GetUser({});
    expect(Number((await products.LikeProduct({ id })).product?.likes)).toBe(1);
    const { outcomes } = await products.LikeProducts({
      likes: [
        { id, idempotencyKey: 'like:a', userId },
        { id, idempotencyKey: 'like:b', userId: '' },
        { id, idempotencyKey: 'like:c', userId: MISSING_ID },
        { id: MISSING_ID, idempotencyKey: 'like:d', userId },
      ],
    });
    expect(outcomes.map((o) => (o.error ? `${o.error.code} ${o.error.message}` : Number(o.product?.likes)))).toEqual([2, 3, `5 user ${MISSING_ID} not found`, `5 product ${MISSING_ID} not found`]);
    expect((await rest('GET', `/products/${id}`)).body.likes).toBe(3);
  });

  it('logs each like for watchers as the product after it, its timestamps included', async () => {
    const created = (await rest('POST', '/products', { title: 'Watched' })).body;
    const liked = (await products.LikeProduct({ id: created.id })).product!;
    const after = (await rest('GET', `/products/${created.id}`)).body;
    const db = new sqlite3.Database(path.join(served.dataDir, 'dashboard.sqlite3'), sqlite3.OPEN_READONLY);
    const rows = await new Promise<{ kind: string; data: string }[]>((resolve, reject) =>
      db.all('SELECT kind, data FROM mgrpc_changes WHERE key = ? ORDER BY seq', [created.id], (err, found: { kind: string; data: string }[]) => (err ? reject(err) : resolve(found))),
    );
    await new Promise((resolve) => db.close(resolve));
    expect(rows.map((row) => row.kind)).toEqual(['created', 'updated']);
    const change = JSON.parse(rows[1]!.data);
    expect(change).toEqual({ id: created.id, title: 'Watched', image: '', likes: 1, createdAt: created.created_at, updatedAt: after.updated_at });
    expect(Date.parse(change.updatedAt)).toBeGreaterThanOrEqual(Date.parse(change.createdAt));
    expect(Number(liked.likes)).toBe(1);
  });

  it('answers INVALID_ARGUMENT and NOT_FOUND for bad likes', async () => {
    await expect(products.LikeProduct({ id: 'not-a-uuid' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(products.LikeProduct({ id: MISSING_ID })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(products.LikeProducts({ likes: Array.from({ length: 1001 }, () => ({ id: MISSING_ID })) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'likes: at most 1000 per call, got 1001' });
  });
});
