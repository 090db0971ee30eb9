/**
 * The outbox's promises, end to end on the four real processes: nothing acknowledged is
 * lost and nothing is applied twice, whichever process is down, restarted or killed.
 *
 * - the product service down during 20 creates/updates/deletes, then back: every change
 *   arrives, once, in order (latest titles win, deletes are final);
 * - 500 concurrent likes by distinct users (64 in flight) with the dashboard's gRPC server
 *   restarted in the middle: the dashboard counts exactly 500;
 * - SIGKILL of a process under load: every acknowledged like and product survives and is
 *   counted exactly once.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { QueryTypes } from 'sequelize';
import { afterEach, describe, expect, it } from 'vitest';

import { createClient, openDatabase, sqliteUrl } from '../../services/framework/index.js';
import { IDEMPOTENCY_KEY, ORIGIN, SEQUENCE } from '../../services/framework/sync/metadata.js';
import { proto } from '../../services/stubs/index.js';
import { eventually, pool } from '../support/eventually.js';
import { createUsers, http, runCli, startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem | undefined;

afterEach(async () => {
  await sys?.close();
  sys = undefined;
});

/** Runs one query on a service's SQLite file (the servers keep running: WAL allows it). */
async function sql<T extends object>(system: RunningSystem, service: 'dashboard' | 'product', query: string): Promise<T[]> {
  const db = await openDatabase(sqliteUrl(path.join(system.dataDir, `${service}.sqlite3`)));
  try {
    return await db.query<T>(query, { type: QueryTypes.SELECT });
  } finally {
    await db.close();
  }
}

function pendingOf(system: RunningSystem, service: string): number {
  const out = runCli(['outbox', '--json', '--service', service], system.env);
  expect(out.code, out.stderr).toBe(0);
  const [report] = JSON.parse(out.stdout) as { topics: { state: string; count: number }[] }[];
  return report.topics.filter((t) => t.state === 'pending').reduce((sum, t) => sum + t.count, 0);
}

async function listed(url: string) {
  const res = await http('GET', `${url}/api/products`);
  expect(res.status).toBe(200);
  return res.body as { id: string; title: string; likes?: number }[];
}

describe('product sync through the outbox', () => {
  it('20 changes made while the product service is down all arrive once, in order, when it is back', async () => {
    sys = await startSystem();
    const s = sys;
    expect(await s.stop('product_grpc')).toBe(0);
    const ids: string[] = [];
    const expectStatus = async (method: string, url: string, body: unknown, status: number) => {
      const res = await http(method, url, body);
      expect(res.status, `${method} ${url}: ${res.text}`).toBe(status);
      return res.body;
    };
    for (let i = 0; i < 8; i++) ids.push((await expectStatus('POST', `${s.dashboardUrl}/api/products`, { title: `p${i} v1` }, 201)).id);
    for (let i = 0; i < 6; i++) await expectStatus('PATCH', `${s.dashboardUrl}/api/products/${ids[i]}`, { title: `p${i} v2` }, 200);
    for (let i = 0; i < 4; i++) await expectStatus('PUT', `${s.dashboardUrl}/api/products/${ids[i]}`, { title: `p${i} v3`, image: `img${i}` }, 200);
    await expectStatus('DELETE', `${s.dashboardUrl}/api/products/${ids[6]}`, undefined, 204);
    await expectStatus('DELETE', `${s.dashboardUrl}/api/products/${ids[7]}`, undefined, 204);
    expect(pendingOf(s, 'dashboard')).toBe(20);
    expect(await listed(s.productUrl)).toEqual([]);

    await s.start('product_grpc');
    const expected = (await listed(s.dashboardUrl)).map(({ id, title }) => ({ id, title })).sort((a, b) => a.id.localeCompare(b.id));
    expect(expected).toHaveLength(6);
    const copies = await eventually(
      async () => (await listed(s.productUrl)).map(({ id, title }) => ({ id, title })).sort((a, b) => a.id.localeCompare(b.id)),
      (list) => JSON.stringify(list) === JSON.stringify(expected),
      20_000,
    );
    expect(copies).toEqual(expected);
    expect(await eventually(async () => pendingOf(s, 'dashboard'), (n) => n === 0, 10_000)).toBe(0);
    // Once: every change left exactly one inbox record on the receiver, none was refused.
    const [{ count }] = await sql<{ count: number }>(s, 'product', 'SELECT COUNT(*) AS count FROM mgrpc_inbox');
    expect(count).toBe(20);
    expect(await sql(s, 'dashboard', `SELECT id FROM mgrpc_outbox WHERE state = 'failed'`)).toEqual([]);
    // Deleted products are final on the receiver.
    const finals = await sql<{ key: string }>(s, 'product', 'SELECT key FROM mgrpc_ordering WHERE final = 1');
    expect(finals.map((f) => f.key.split('/product:')[1]).sort()).toEqual([ids[6], ids[7]].sort());
  });

  it('a redelivered change is applied once, and a stale one never overwrites a newer one', async () => {
    sys = await startSystem();
    const s = sys;
    const created = await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Original' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const receiver = createClient(proto.product_receiver.ProductReceiverService.service, s.productGrpc, { name: 'product gRPC' });
    const likes = createClient(proto.product.ProductService.service, s.dashboardGrpc, { name: 'dashboard gRPC' });
    const meta = (key: string, sequence: number) => {
      const m = new grpc.Metadata();
      m.set(IDEMPOTENCY_KEY, key);
      m.set(SEQUENCE, String(sequence));
      m.set(ORIGIN, 'test-origin');
      return m;
    };
    try {
      // A lost reply: the same like delivered three times counts once.
      const key = `like:${id}:${randomUUID()}`;
      for (let i = 0; i < 3; i++) expect(Number((await likes.LikeProduct({ id }, { metadata: meta(key, 1) })).product?.likes)).toBe(1);
      expect((await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body.likes).toBe(1);

      // Sequence 10 applied, then a late sequence 5: ignored.
      await receiver.Update({ productReceiver: { productId: id, title: 'Newer', image: '' } }, { metadata: meta(randomUUID(), 10) });
      await receiver.Update({ productReceiver: { productId: id, title: 'Stale', image: '' } }, { metadata: meta(randomUUID(), 5) });
      expect((await http('GET', `${s.productUrl}/api/products/${id}`)).body.title).toBe('Newer');
      // After a delete (sequence 11), a later create/update of the same product is ignored.
      await receiver.Delete({ productId: id }, { metadata: meta(randomUUID(), 11) });
      await receiver.CreateProductFromReceiver({ productReceiver: { productId: id, title: 'Zombie', image: '' } }, { metadata: meta(randomUUID(), 12) });
      expect((await http('GET', `${s.productUrl}/api/products/${id}`)).status).toBe(404);
    } finally {
      receiver.close();
      likes.close();
    }
  });
});

describe('exact likes', () => {
  it('500 concurrent likes by distinct users (64 in flight) with a dashboard gRPC restart in the middle count exactly 500', async () => {
    sys = await startSystem({ env: { MGRPC_OUTBOX_MAX_BACKOFF_MS: '1000' } });
    const s = sys;
    const created = await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Popular' });
    const id = created.body.id as string;
    await eventually(() => listed(s.productUrl), (list) => list.some((p) => p.id === id));

    const users = await createUsers(s.dashboardUrl, 500);
    let done = 0;
    let restart: Promise<void> | undefined;
    const statuses = await pool(500, 64, async (i) => {
      const res = await http('POST', `${s.productUrl}/api/products/${id}/like`, { user_id: users[i] });
      done += 1;
      if (done === 150) restart = s.stop('dashboard_grpc').then(() => s.start('dashboard_grpc'));
      return res.status;
    });
    await restart;
    const counts = statuses.reduce<Record<number, number>>((acc, st) => ({ ...acc, [st]: (acc[st] ?? 0) + 1 }), {});
    expect(Object.keys(counts).every((st) => st === '200' || st === '202'), JSON.stringify(counts)).toBe(true);

    const likes = async () => (await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body.likes as number;
    expect(await eventually(likes, (n) => n >= 500, 30_000)).toBe(500);
    expect(await eventually(async () => pendingOf(s, 'product'), (n) => n === 0, 10_000)).toBe(0);
    expect(await likes()).toBe(500);
    const [{ count }] = await sql<{ count: number }>(s, 'product', 'SELECT COUNT(*) AS count FROM product_users');
    expect(count).toBe(500);
  });
});

describe('plain LikeProduct calls (no idempotency key)', () => {
  it('200 concurrent calls on two products are coalesced, yet each caller gets its own count (1..160 and 1..40)', async () => {
    sys = await startSystem();
    const s = sys;
    const id = (await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Coalesced' })).body.id as string;
    const other = (await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Other' })).body.id as string;
    const likes = createClient(proto.product.ProductService.service, s.dashboardGrpc, { name: 'dashboard gRPC' });
    try {
      const counts = await pool(200, 64, async (i) => {
        // Every fifth call likes another product, so batches mix products.
        const target = i % 5 === 0 ? other : id;
        return { target, likes: Number((await likes.LikeProduct({ id: target })).product?.likes) };
      });
      const mine = counts.filter((c) => c.target === id).map((c) => c.likes).sort((a, b) => a - b);
      const theirs = counts.filter((c) => c.target === other).map((c) => c.likes).sort((a, b) => a - b);
      expect(mine).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
      expect(theirs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body.likes).toBe(160);
      await expect(likes.LikeProduct({ id: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      likes.close();
    }
  });
});

describe('LikeProducts (the relay\'s batch call)', () => {
  it('answers each like of a message on its own, counts each key once, and refuses an oversized message', async () => {
    sys = await startSystem();
    const s = sys;
    const id = (await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Batched' })).body.id as string;
    const missing = randomUUID();
    const likes = createClient(proto.product.ProductService.service, s.dashboardGrpc, { name: 'dashboard gRPC' });
    try {
      const message = {
        likes: [
          { id, idempotencyKey: 'like:a' },
          { id, idempotencyKey: 'like:b' },
          { id: missing, idempotencyKey: 'like:c' },
          { id: 'not-a-uuid', idempotencyKey: 'like:d' },
          { id, idempotencyKey: 'like:a' },
          { id, idempotencyKey: 'k'.repeat(201) },
          { id, idempotencyKey: 'like:\u0000' },
        ],
      };
      const summary = (outcomes: { product: { likes: unknown } | null; error: { code: number; message: string } | null }[]) =>
        outcomes.map(({ product, error }) => (error ? `${grpc.status[error.code]}: ${error.message}` : Number(product?.likes)));
      const first = summary((await likes.LikeProducts(message)).outcomes);
      expect(first).toEqual([
        1,
        2,
        `NOT_FOUND: product ${missing} not found`,
        "INVALID_ARGUMENT: id: 'not-a-uuid' is not a valid UUID",
        1,
        'INVALID_ARGUMENT: idempotency key of item 6 is longer than 200 characters',
        'INVALID_ARGUMENT: idempotency key of item 7 may hold only printable ASCII characters',
      ]);
      // The whole message again (a lost reply): the recorded answers, nothing counted twice;
      // and one of its keys as a single call with the key in metadata.
      expect(summary((await likes.LikeProducts(message)).outcomes)).toEqual(first);
      const single = new grpc.Metadata();
      single.set(IDEMPOTENCY_KEY, 'like:b');
      expect(Number((await likes.LikeProduct({ id }, { metadata: single })).product?.likes)).toBe(2);
      expect((await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body.likes).toBe(2);

      await expect(likes.LikeProducts({ likes: Array.from({ length: 1001 }, (_, i) => ({ id, idempotencyKey: `like:${i}` })) })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: 'likes: at most 1000 per call, got 1001',
      });
      expect((await likes.LikeProducts({ likes: [] })).outcomes).toEqual([]);
      expect((await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body.likes).toBe(2);
    } finally {
      likes.close();
    }
  });
});

describe('likes while the dashboard writes', () => {
  it('likes of a product and edits of the same product, concurrently, all succeed without waiting on each other', async () => {
    sys = await startSystem();
    const s = sys;
    const id = (await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Edited while liked' })).body.id as string;
    await eventually(() => listed(s.productUrl), (list) => list.some((p) => p.id === id));
    // All 200: no like waited out MGRPC_SYNC_WAIT_MS (202) or a deadline (504), as under the
    // tutorial's design, where each side held its write lock across a call to the other.
    const users = await createUsers(s.dashboardUrl, 150);
    const [likes, edits] = await Promise.all([
      pool(150, 16, async (i) => (await http('POST', `${s.productUrl}/api/products/${id}/like`, { user_id: users[i] })).status),
      pool(50, 4, async (i) => (await http('PATCH', `${s.dashboardUrl}/api/products/${id}`, { title: `edit ${i}` })).status),
    ]);
    expect(likes.every((st) => st === 200), JSON.stringify(likes.filter((st) => st !== 200))).toBe(true);
    expect(edits.every((st) => st === 200), JSON.stringify(edits.filter((st) => st !== 200))).toBe(true);
    const product = (await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body;
    expect(product.likes).toBe(150);
    const copy = await eventually(
      async () => (await http('GET', `${s.productUrl}/api/products/${id}`)).body,
      (c) => c.title === product.title,
    );
    expect(copy.title).toBe(product.title);
  });
});

describe('SIGKILL under load', () => {
  it('killing the product REST server mid-load loses no acknowledged like and counts every recorded like once', async () => {
    sys = await startSystem({ env: { MGRPC_OUTBOX_LEASE_MS: '2000', MGRPC_OUTBOX_MAX_BACKOFF_MS: '1000' } });
    const s = sys;
    const id = (await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Killed mid-like' })).body.id as string;
    await eventually(() => listed(s.productUrl), (list) => list.some((p) => p.id === id));

    const users = await createUsers(s.dashboardUrl, 300);
    const acknowledged: string[] = [];
    let killed: Promise<void> | undefined;
    await pool(300, 32, async (i) => {
      const user = users[i];
      const res = await http('POST', `${s.productUrl}/api/products/${id}/like`, { user_id: user }).catch(() => undefined);
      if (res && (res.status === 200 || res.status === 202)) acknowledged.push(user);
      if (acknowledged.length === 100 && !killed) killed = s.kill('product');
    });
    await killed;
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    await s.start('product');

    const recorded = await sql<{ user_id: string }>(s, 'product', `SELECT user_id FROM product_users WHERE product_id = '${id}'`);
    const recordedUsers = new Set(recorded.map((r) => r.user_id));
    for (const user of acknowledged) expect(recordedUsers.has(user), `acknowledged like by ${user} was lost`).toBe(true);
    const likes = async () => (await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body.likes as number;
    expect(await eventually(likes, (n) => n >= recorded.length, 30_000)).toBe(recorded.length);
    expect(await eventually(async () => pendingOf(s, 'product'), (n) => n === 0, 10_000)).toBe(0);
    expect(await likes()).toBe(recorded.length);
  });

  it('killing the dashboard gRPC server mid-load: every recorded like is counted exactly once after it restarts', async () => {
    sys = await startSystem({ env: { MGRPC_OUTBOX_MAX_BACKOFF_MS: '1000' } });
    const s = sys;
    const id = (await http('POST', `${s.dashboardUrl}/api/products`, { title: 'Counter killed' })).body.id as string;
    await eventually(() => listed(s.productUrl), (list) => list.some((p) => p.id === id));
    const users = await createUsers(s.dashboardUrl, 300);
    let done = 0;
    let killed: Promise<void> | undefined;
    const statuses = await pool(300, 32, async (i) => {
      const res = await http('POST', `${s.productUrl}/api/products/${id}/like`, { user_id: users[i] });
      if (++done === 100) killed = s.kill('dashboard_grpc').then(() => s.start('dashboard_grpc'));
      return res.status;
    });
    await killed;
    expect(statuses.every((st) => st === 200 || st === 202), JSON.stringify(statuses.filter((st) => st !== 200 && st !== 202))).toBe(true);
    const likes = async () => (await http('GET', `${s.dashboardUrl}/api/products/${id}`)).body.likes as number;
    expect(await eventually(likes, (n) => n >= 300, 30_000)).toBe(300);
    expect(await eventually(async () => pendingOf(s, 'product'), (n) => n === 0, 10_000)).toBe(0);
    expect(await likes()).toBe(300);
  });

  it('killing the dashboard REST server mid-creates: every acknowledged product survives and reaches the product service', async () => {
    sys = await startSystem({ env: { MGRPC_OUTBOX_LEASE_MS: '2000', MGRPC_OUTBOX_MAX_BACKOFF_MS: '1000' } });
    const s = sys;
    const acknowledged: string[] = [];
    let killed: Promise<void> | undefined;
    await pool(120, 16, async (i) => {
      const res = await http('POST', `${s.dashboardUrl}/api/products`, { title: `bulk ${i}` }).catch(() => undefined);
      if (res?.status === 201) acknowledged.push(res.body.id);
      if (acknowledged.length === 40 && !killed) killed = s.kill('dashboard');
    });
    await killed;
    await s.start('dashboard');
    const onDashboard = new Set((await listed(s.dashboardUrl)).map((p) => p.id));
    for (const pid of acknowledged) expect(onDashboard.has(pid), `acknowledged product ${pid} was lost`).toBe(true);
    const copies = await eventually(
      async () => new Set((await listed(s.productUrl)).map((p) => p.id)),
      (set) => set.size === onDashboard.size,
      30_000,
    );
    expect([...copies].sort()).toEqual([...onDashboard].sort());
  });
});
