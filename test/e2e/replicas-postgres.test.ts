/**
 * The scale-out promises, end to end: two replicas of each of the four processes on
 * loopback, both services on PostgreSQL (two fresh, uniquely named databases per run,
 * dropped afterwards), the gRPC peers reached through `ipv4:` lists the clients round-robin.
 *
 * - 1,000 concurrent likes by distinct users, spread over both product REST replicas: the
 *   dashboard counts exactly 1,000;
 * - 50 creates and 50 updates spread over both dashboard REST replicas while one product
 *   gRPC replica is SIGKILLed and restarted: every product exactly once on the product side,
 *   with its latest title, each change applied once;
 * - a dashboard REST replica SIGKILLed while its relay holds leased outbox entries: the
 *   other processes' relays deliver them (and the changes queued behind them) while it stays dead.
 */

import { QueryTypes, type Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openDatabase } from '../../services/framework/index.js';
import { eventually, pool } from '../support/eventually.js';
import { createUsers, http, startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
const db: Partial<Record<'DASHBOARD' | 'PRODUCT', Sequelize>> = {};

beforeAll(async () => {
  sys = await startSystem({
    database: 'postgres',
    replicas: 2,
    // A dead relay's leases run out quickly, and retries stay frequent.
    env: { MGRPC_OUTBOX_LEASE_MS: '2000', MGRPC_OUTBOX_MAX_BACKOFF_MS: '500', LOG_LEVEL: 'warn' },
  });
  db.DASHBOARD = await openDatabase(sys.env.DASHBOARD_DATABASE_URL!);
  db.PRODUCT = await openDatabase(sys.env.PRODUCT_DATABASE_URL!);
});

afterAll(async () => {
  await db.DASHBOARD?.close();
  await db.PRODUCT?.close();
  await sys?.close();
});

/** One query on a service's database (the run's own), beside the servers. */
function sql<T extends object>(service: 'DASHBOARD' | 'PRODUCT', query: string, replacements: unknown[] = []): Promise<T[]> {
  return db[service]!.query<T>(query, { type: QueryTypes.SELECT, replacements });
}

async function count(service: 'DASHBOARD' | 'PRODUCT', query: string, replacements: unknown[] = []): Promise<number> {
  const [{ n }] = await sql<{ n: number | string }>(service, query, replacements);
  return Number(n);
}

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

/** The product service's copies of `ids`, straight from its database. */
async function copies(ids: string[]) {
  const rows = await sql<{ id: string; title: string }>('PRODUCT', 'SELECT id, title FROM products WHERE id IN (?)', [ids]);
  return rows.map(({ id, title }) => ({ id, title })).sort(byId);
}

describe('two replicas of every process on PostgreSQL', () => {
  it('1,000 concurrent likes by distinct users over both product replicas count exactly 1,000', async () => {
    const created = await http('POST', `${sys.dashboardUrls[1]}/api/products`, { title: 'Popular' });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    for (const url of sys.productUrls) {
      expect(await eventually(async () => (await http('GET', `${url}/api/products/${id}`)).status, (st) => st === 200, 10_000)).toBe(200);
    }

    const users = await createUsers(sys.dashboardUrls[0], 1000);
    const statuses = await pool(1000, 64, async (i) => {
      const res = await http('POST', `${sys.productUrls[i % 2]}/api/products/${id}/like`, { user_id: users[i] });
      return res.status === 200 || res.status === 202 ? res.status : `${res.status} ${res.text}`;
    });
    expect(statuses.filter((st) => st !== 200 && st !== 202)).toEqual([]);

    const likes = async (url: string) => (await http('GET', `${url}/api/products/${id}`)).body.likes as number;
    expect(await eventually(() => likes(sys.dashboardUrls[0]!), (n) => n >= 1000, 30_000)).toBe(1000);
    expect(await eventually(() => count('PRODUCT', 'SELECT COUNT(*) AS n FROM mgrpc_outbox'), (n) => n === 0, 10_000)).toBe(0);
    for (const url of sys.dashboardUrls) expect(await likes(url)).toBe(1000);
    expect(await count('PRODUCT', 'SELECT COUNT(*) AS n FROM product_users WHERE product_id = ?', [id])).toBe(1000);
    expect(await count('DASHBOARD', 'SELECT likes AS n FROM products WHERE id = ?', [id])).toBe(1000);
  });

  it('50 creates and 50 updates over both dashboard replicas, a product gRPC replica killed and restarted meanwhile: each product once, latest title', async () => {
    const inboxBefore = await count('PRODUCT', 'SELECT COUNT(*) AS n FROM mgrpc_inbox');
    let done = 0;
    let killed: Promise<void> | undefined;
    let restarted: Promise<void> | undefined;
    const ids = await pool(50, 8, async (i) => {
      const res = await http('POST', `${sys.dashboardUrls[i % 2]}/api/products`, { title: `r${i} v1` });
      expect(res.status, res.text).toBe(201);
      if (++done === 10) killed = sys.kill('product_grpc_1');
      return res.body.id as string;
    });
    await killed;
    const updated = await pool(50, 8, async (i) => {
      const res = await http('PATCH', `${sys.dashboardUrls[(i + 1) % 2]}/api/products/${ids[i]}`, { title: `r${i} v2` });
      if (++done === 70) restarted = sys.start('product_grpc_1');
      return res.status;
    });
    await restarted;
    expect(updated.filter((st) => st !== 200)).toEqual([]);

    const expected = ids.map((id, i) => ({ id, title: `r${i} v2` })).sort(byId);
    const dashboard = ((await http('GET', `${sys.dashboardUrls[0]}/api/products`)).body as { id: string; title: string }[])
      .filter((p) => ids.includes(p.id))
      .map(({ id, title }) => ({ id, title }))
      .sort(byId);
    expect(dashboard).toEqual(expected);
    expect(await eventually(() => copies(ids), (list) => JSON.stringify(list) === JSON.stringify(expected), 20_000)).toEqual(expected);
    expect(await eventually(() => count('DASHBOARD', 'SELECT COUNT(*) AS n FROM mgrpc_outbox'), (n) => n === 0, 10_000)).toBe(0);
    // Once: 100 changes, 100 inbox records on the receiver (a redelivery would be found there, not added).
    expect((await count('PRODUCT', 'SELECT COUNT(*) AS n FROM mgrpc_inbox')) - inboxBefore).toBe(100);
    // Both replicas serve the copies (one database).
    for (const url of sys.productUrls) {
      const listed = ((await http('GET', `${url}/api/products`)).body as { id: string; title: string }[]).filter((p) => ids.includes(p.id));
      expect(listed.map(({ id, title }) => ({ id, title })).sort(byId)).toEqual(expected);
    }
  });

  it('a dashboard replica SIGKILLed while its relay holds leased entries: another replica delivers them', async () => {
    expect(await count('DASHBOARD', 'SELECT COUNT(*) AS n FROM mgrpc_outbox')).toBe(0);
    const inboxBefore = await count('PRODUCT', 'SELECT COUNT(*) AS n FROM mgrpc_inbox');
    // Frozen, not stopped: a call to a stopped server fails within ~1.5 s and gives its lease
    // back; one to a frozen server hangs until its deadline (5 s), so the lease stays held.
    for (const name of sys.names.product_grpc) sys.pause(name);
    try {
      // Through replica 1 only: it enqueues each change and starts delivering it at once,
      // under its own lease. The requests are cut off by the kill; what committed counts.
      const creates = Array.from({ length: 10 }, (_, i) =>
        http('POST', `${sys.dashboardUrls[0]}/api/products`, { title: `k${i} v1` }).catch((err: Error) => err),
      );
      const leased = await eventually(
        () => sql<{ id: string; lease_owner: string | null }>('DASHBOARD', 'SELECT id, lease_owner FROM mgrpc_outbox'),
        // Still replica 1's: an expired lease would soon carry another relay's name instead.
        (rows) => rows.length === 10 && rows.every((r) => r.lease_owner !== null && r.lease_owner === rows[0]!.lease_owner),
        3000,
      );
      await sys.kill('dashboard_1');
      expect(leased).toHaveLength(10);
      expect(new Set(leased.map((r) => r.lease_owner)).size).toBe(1);
      const deadOwner = leased[0]!.lease_owner!;
      await Promise.all(creates);

      const ids = (await sql<{ id: string; title: string }>('DASHBOARD', `SELECT id, title FROM products WHERE title LIKE 'k% v1'`)).map((r) => r.id);
      expect(ids).toHaveLength(10);
      // Changes queued behind the dead replica's entries, through the live one.
      const patched = await Promise.all(ids.map((id, i) => http('PATCH', `${sys.dashboardUrls[1]}/api/products/${id}`, { title: `k${i} v2` })));
      expect(patched.map((r) => r.status)).toEqual(ids.map(() => 200));

      for (const name of sys.names.product_grpc) sys.resume(name);
      const expected = ids.map((id, i) => ({ id, title: `k${i} v2` })).sort(byId);
      expect(await eventually(() => copies(ids), (list) => JSON.stringify(list) === JSON.stringify(expected), 20_000)).toEqual(expected);
      expect(await eventually(() => count('DASHBOARD', 'SELECT COUNT(*) AS n FROM mgrpc_outbox'), (n) => n === 0, 10_000)).toBe(0);
      // The dead owner's entries were delivered (a row leaves the outbox only when acknowledged)
      // by someone else: replica 1 is still down.
      expect(await count('DASHBOARD', 'SELECT COUNT(*) AS n FROM mgrpc_outbox WHERE id IN (?)', [leased.map((r) => r.id)])).toBe(0);
      expect((await count('PRODUCT', 'SELECT COUNT(*) AS n FROM mgrpc_inbox')) - inboxBefore).toBe(20);
      expect(await http('GET', `${sys.dashboardUrls[0]}/healthz`).catch((err: Error) => err)).toBeInstanceOf(Error);
    } finally {
      for (const name of sys.names.product_grpc) sys.resume(name);
    }
  });
});
