/**
 * The tutorial's flows, end to end, on the four real server processes (loopback; SQLite
 * files in a temp dir, then two fresh PostgreSQL databases): create on the dashboard -> copy appears on the product service ->
 * like -> the dashboard counts it -> a second like by the same user is refused -> update
 * and delete propagate. Then the rough edges the tutorial had: concurrent likes, a peer
 * that is down, bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createClient } from '../../services/framework/index.js';
import { proto } from '../../services/stubs/index.js';
import { eventually } from '../support/eventually.js';
import { http, startSystem, type RunningSystem } from '../support/system.js';

// Issue 2's flows, on each database the services support (PostgreSQL: two fresh databases per run).
describe.each(['sqlite', 'postgres'] as const)('on %s', (database) => {
  let sys: RunningSystem;

  beforeAll(async () => {
    sys = await startSystem({ database });
  });

  afterAll(async () => {
    await sys?.close();
  });

  async function createUser(): Promise<string> {
    const res = await http('POST', `${sys.dashboardUrl}/api/user`);
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function createProduct(title: string, image?: string | null) {
    const res = await http('POST', `${sys.dashboardUrl}/api/products`, image === undefined ? { title } : { title, image });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; title: string; image: string | null; likes: number };
  }

  /** After a peer restarts, clients reconnect within about a second: poll briefly. */
  async function productCopies() {
    const res = await http('GET', `${sys.productUrl}/api/products`);
    expect(res.status).toBe(200);
    return res.body as { id: string; title: string; image: string | null }[];
  }

  describe('the tutorial flow', () => {
    it('create -> synced -> like -> counted -> second like 409 -> update and delete propagate', async () => {
      const user = await createUser();
      const created = await createProduct('Mechanical pencil', 'https://img.example/pencil.png');
      expect(created).toMatchObject({ title: 'Mechanical pencil', image: 'https://img.example/pencil.png', likes: 0 });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);

      // One product id across both services.
      const copy = (await productCopies()).find((p) => p.id === created.id);
      expect(copy).toMatchObject({ id: created.id, title: 'Mechanical pencil', image: 'https://img.example/pencil.png' });

      const like = await http('POST', `${sys.productUrl}/api/products/${created.id}/like`, { user_id: user });
      expect(like.status, like.text).toBe(200);
      expect(like.body).toMatchObject({ product_id: created.id, user_id: user, likes: 1 });

      const afterLike = await http('GET', `${sys.dashboardUrl}/api/products/${created.id}`);
      expect(afterLike.body.likes).toBe(1);

      const again = await http('POST', `${sys.productUrl}/api/products/${created.id}/like`, { user_id: user });
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('already liked');
      expect((await http('GET', `${sys.dashboardUrl}/api/products/${created.id}`)).body.likes).toBe(1);

      const patched = await http('PATCH', `${sys.dashboardUrl}/api/products/${created.id}`, { title: 'Pencil', image: null });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body).toMatchObject({ title: 'Pencil', image: null, likes: 1 });
      expect((await productCopies()).find((p) => p.id === created.id)).toMatchObject({ title: 'Pencil', image: null });

      const put = await http('PUT', `${sys.dashboardUrl}/api/products/${created.id}`, { title: 'Blue pencil', image: 'https://img.example/b.png' });
      expect(put.status, put.text).toBe(200);
      expect((await productCopies()).find((p) => p.id === created.id)).toMatchObject({ title: 'Blue pencil', image: 'https://img.example/b.png' });

      const deleted = await http('DELETE', `${sys.dashboardUrl}/api/products/${created.id}`);
      expect(deleted.status).toBe(204);
      expect((await http('GET', `${sys.dashboardUrl}/api/products/${created.id}`)).status).toBe(404);
      expect((await productCopies()).find((p) => p.id === created.id)).toBeUndefined();
    });

    it('a like without a user id takes a random user from the dashboard (GET accepted, as in the tutorial)', async () => {
      await createUser();
      const product = await createProduct('Notebook');
      const like = await http('GET', `${sys.productUrl}/api/products/${product.id}/like`);
      expect(like.status, like.text).toBe(200);
      expect(like.body.user_id).toMatch(/^[0-9a-f-]{36}$/);
      const user = await http('GET', `${sys.dashboardUrl}/api/user`);
      expect(user.status).toBe(200);
      expect(user.body.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('counts concurrent likes by distinct users exactly', async () => {
      const product = await createProduct('Popular');
      const users = await Promise.all(Array.from({ length: 40 }, () => createUser()));
      const results = await Promise.all(users.map((u) => http('POST', `${sys.productUrl}/api/products/${product.id}/like`, { user_id: u })));
      expect(results.map((r) => r.status)).toEqual(users.map(() => 200));
      const counted = await http('GET', `${sys.dashboardUrl}/api/products/${product.id}`);
      expect(counted.body.likes).toBe(40);
      expect(new Set(results.map((r) => r.body.likes)).size).toBe(40);
    });

    it('concurrent likes written together keep their own answers: repeats 409, an unknown product 404, the rest 200', async () => {
      // Likes that arrive together are recorded in one batch (product/likes.ts): a
      // user's repeat within the batch, and a like of a product that does not exist, must
      // still each get their own answer and leave nothing behind.
      const product = await createProduct('Batched');
      const missing = '00000000-0000-4000-8000-000000000000';
      const users = await Promise.all(Array.from({ length: 12 }, () => createUser()));
      const requests = [
        ...users.map((u) => ({ id: product.id, user: u })),
        ...users.slice(0, 4).map((u) => ({ id: product.id, user: u })),
        ...users.slice(0, 3).map((u) => ({ id: missing, user: u })),
      ];
      const results = await Promise.all(requests.map((r) => http('POST', `${sys.productUrl}/api/products/${r.id}/like`, { user_id: r.user })));
      const statuses = (from: number, to: number) => results.slice(from, to).map((r) => r.status);
      // Of each user's two likes of the product, exactly one was counted.
      for (let i = 0; i < 4; i++) expect([results[i].status, results[12 + i].status].sort(), `user ${i}`).toEqual([200, 409]);
      expect(statuses(4, 12)).toEqual(Array.from({ length: 8 }, () => 200));
      expect(statuses(16, 19)).toEqual([404, 404, 404]);
      const counted = await http('GET', `${sys.dashboardUrl}/api/products/${product.id}`);
      expect(counted.body.likes).toBe(12);
      const given = results.filter((r) => r.status === 200).map((r) => r.body.likes);
      expect(new Set(given).size).toBe(12);
      expect(Math.max(...given)).toBe(12);
    });
  });

  describe('sync convergence', () => {
    it('an update recreates a copy the product service lost, and gRPC errors carry the right status', async () => {
      const receiver = createClient(proto.product_receiver.ProductReceiverService.service, sys.productGrpc, { name: 'product gRPC' });
      try {
        const product = await createProduct('Lost copy');
        await receiver.Delete({ productId: product.id });
        expect((await productCopies()).some((p) => p.id === product.id)).toBe(false);

        const patched = await http('PATCH', `${sys.dashboardUrl}/api/products/${product.id}`, { title: 'Found again' });
        expect(patched.status, patched.text).toBe(200);
        expect((await productCopies()).find((p) => p.id === product.id)).toMatchObject({ title: 'Found again' });

        await expect(receiver.Update({ productReceiver: { productId: '3b241101-e2bb-4255-8caf-4136c566a962', title: 'x' } })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(receiver.CreateProductFromReceiver({ productReceiver: { productId: 'nope', title: 'x' } })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: 'product_id: must be a UUID',
        });
        await expect(receiver.CreateProductFromReceiver({ productReceiver: { productId: product.id, title: '' } })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: 'title: is required',
        });
        await expect(receiver.CreateProductFromReceiver({ productReceiver: { productId: product.id, title: 'dup' } })).rejects.toMatchObject({
          code: 'ALREADY_EXISTS',
        });
      } finally {
        receiver.close();
      }
    });
  });

  describe('a peer that is down', () => {
    it('dashboard writes succeed while the product gRPC server is down, and reach it once it is back', async () => {
      const existing = await createProduct('Before outage');
      expect(await sys.stop('product_grpc')).toBe(0);
      let created;
      try {
        created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'During outage' });
        expect(created.status, created.text).toBe(201);
        const upd = await http('PATCH', `${sys.dashboardUrl}/api/products/${existing.id}`, { title: 'Changed during outage' });
        expect(upd.status).toBe(200);
        expect((await http('GET', `${sys.dashboardUrl}/api/products/${existing.id}`)).body.title).toBe('Changed during outage');
        expect((await productCopies()).find((p) => p.id === existing.id)?.title).toBe('Before outage');
      } finally {
        await sys.start('product_grpc');
      }
      const copies = await eventually(productCopies, (list) => list.some((p) => p.id === created.body.id) && list.find((p) => p.id === existing.id)?.title === 'Changed during outage', 15_000);
      expect(copies.find((p) => p.id === created.body.id)?.title).toBe('During outage');
      expect(copies.find((p) => p.id === existing.id)?.title).toBe('Changed during outage');
    });

    it('a like is accepted (202 pending) while the dashboard gRPC server is down, and counted once it is back', async () => {
      const user = await createUser();
      const product = await createProduct('Outage like');
      await eventually(productCopies, (list) => list.some((p) => p.id === product.id));
      expect(await sys.stop('dashboard_grpc')).toBe(0);
      try {
        const res = await http('POST', `${sys.productUrl}/api/products/${product.id}/like`, { user_id: user });
        expect(res.status, res.text).toBe(202);
        expect(res.body).toMatchObject({ status: 'pending', product_id: product.id, user_id: user });
        const again = await http('POST', `${sys.productUrl}/api/products/${product.id}/like`, { user_id: user });
        expect(again.status).toBe(409);
      } finally {
        await sys.start('dashboard_grpc');
      }
      const counted = await eventually(
        () => http('GET', `${sys.dashboardUrl}/api/products/${product.id}`),
        (res) => res.body?.likes === 1,
        15_000,
      );
      expect(counted.body.likes).toBe(1);
    });
  });

  describe('bad input', () => {
    it('answers each bad request with the right status and a message naming the field', async () => {
      const cases: [string, string, unknown, number, string][] = [
        ['POST', '/api/products', {}, 400, 'title: is required'],
        ['POST', '/api/products', { title: '' }, 400, 'title: must not be empty'],
        ['POST', '/api/products', { title: 'x'.repeat(201) }, 400, 'title: must be at most 200 characters'],
        ['POST', '/api/products', { title: 'ok', image: 'y'.repeat(2049) }, 400, 'image: must be at most 2048 characters'],
        ['POST', '/api/products', { title: 5 }, 400, 'title: must be a string'],
        ['POST', '/api/products', { title: 'ok', colour: 'red' }, 400, 'colour: unknown field'],
        ['POST', '/api/products', '{not json', 400, 'body: malformed JSON'],
        ['POST', '/api/products', [1, 2], 400, 'body: must be a JSON object'],
        ['GET', '/api/products/not-a-uuid', undefined, 400, "id: 'not-a-uuid' is not a valid UUID"],
        ['GET', '/api/products/3b241101-e2bb-4255-8caf-4136c566a962', undefined, 404, 'product 3b241101-e2bb-4255-8caf-4136c566a962 not found'],
        ['DELETE', '/api/products/3b241101-e2bb-4255-8caf-4136c566a962', undefined, 404, 'not found'],
        ['GET', '/api/nothing-here', undefined, 404, 'no route for GET /api/nothing-here'],
        ['POST', '/api/products', { title: 'z'.repeat(200_000) }, 413, 'too large'],
      ];
      for (const [method, path, body, status, message] of cases) {
        const res = await http(method, `${sys.dashboardUrl}${path}`, body);
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(status);
        expect(res.body.message).toContain(message);
        expect(res.text).not.toMatch(/\bat .+:\d+:\d+/);
      }
      const like = await http('POST', `${sys.productUrl}/api/products/not-a-uuid/like`, {});
      expect(like.status).toBe(400);
      const unknown = await http('POST', `${sys.productUrl}/api/products/3b241101-e2bb-4255-8caf-4136c566a962/like`, {});
      expect(unknown.status).toBe(404);
      const badUser = await http('POST', `${sys.productUrl}/api/products/3b241101-e2bb-4255-8caf-4136c566a962/like`, { user_id: 'bob' });
      expect(badUser.status).toBe(400);
      expect(badUser.body.message).toBe('user_id: must be a UUID');
      const put = await http('PUT', `${sys.productUrl}/api/products`, {});
      expect(put.status).toBe(405);
    });
  });
});
