/**
 * The tutorial's core flows with both services on PostgreSQL (each run on two fresh,
 * uniquely named databases on 127.0.0.1:5432, dropped afterwards): create -> synced ->
 * like -> counted -> second like 409 -> update and delete propagate; 200 concurrent likes
 * counted exactly; changes made while the product service is down all arrive once it is
 * back. PostgreSQL not answering fails these tests (CI starts it), it never skips them.
 */
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openDatabase } from '../../services/framework/index.js';
import { eventually, pool } from '../support/eventually.js';
import { http, runCli, startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;

beforeAll(async () => {
  sys = await startSystem({ database: 'postgres' });
}, 60_000);

afterAll(async () => {
  await sys?.close();
});

async function createUser(): Promise<string> {
  const res = await http('POST', `${sys.dashboardUrl}/api/user`);
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function createProduct(title: string, image?: string | null) {
  const res = await http('POST', `${sys.dashboardUrl}/api/products`, image === undefined ? { title } : { title, image });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; title: string; image: string | null; likes: number };
}

async function listed(url: string) {
  const res = await http('GET', `${url}/api/products`);
  expect(res.status, res.text).toBe(200);
  return res.body as { id: string; title: string; image: string | null; likes?: number }[];
}

/** One query on a service's database, on a connection of its own. */
async function sql<T extends object>(service: 'DASHBOARD' | 'PRODUCT', query: string): Promise<T[]> {
  const db = await openDatabase(sys.env[`${service}_DATABASE_URL`]!);
  try {
    return await db.query<T>(query, { type: QueryTypes.SELECT });
  } finally {
    await db.close();
  }
}

describe('the tutorial flow on PostgreSQL', () => {
  it('runs on PostgreSQL: migrations applied by mgrpc migrate, a second migrate has nothing to do', async () => {
    expect(sys.env.DASHBOARD_DATABASE_URL).toMatch(/^postgres:\/\/.*\/mgrpc_test_\d+_[0-9a-f]+$/);
    const tables = await sql<{ name: string }>('PRODUCT', `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`);
    expect(tables.map((t) => t.name)).toEqual(['mgrpc_change_counter', 'mgrpc_changes', 'mgrpc_inbox', 'mgrpc_migrations', 'mgrpc_ordering', 'mgrpc_outbox', 'mgrpc_settings', 'product_users', 'products']);
    const again = runCli(['migrate'], sys.env);
    expect(again.code, again.stderr).toBe(0);
  });

  it('create -> synced -> like -> counted -> second like 409 -> update and delete propagate', async () => {
    const user = await createUser();
    const image = `https://img.example/${'x'.repeat(1000)}.png`; // longer than 200: migration 0002 ran
    const created = await createProduct('Mechanical pencil', image);
    expect(created).toMatchObject({ title: 'Mechanical pencil', image, likes: 0 });

    expect((await listed(sys.productUrl)).find((p) => p.id === created.id)).toMatchObject({ id: created.id, title: 'Mechanical pencil', image });

    const like = await http('POST', `${sys.productUrl}/api/products/${created.id}/like`, { user_id: user });
    expect(like.status, like.text).toBe(200);
    expect(like.body).toMatchObject({ product_id: created.id, user_id: user, likes: 1 });
    const counted = await http('GET', `${sys.dashboardUrl}/api/products/${created.id}`);
    // A number, as on SQLite (BIGINT columns are not handed out as strings).
    expect(counted.body.likes).toBe(1);
    // Lists on PostgreSQL: searched (any case), filtered by the count, a page at a time, on both services.
    const page = await http('GET', `${sys.dashboardUrl}/api/products?search=MECHANICAL&likes=1&page=1&page_size=1`);
    expect(page.body).toMatchObject({ count: 1, next: null, previous: null, results: [{ id: created.id, likes: 1 }] });
    expect((await http('GET', `${sys.productUrl}/api/products?search=pencil%20mechanical&ordering=-title`)).body.map((p: { id: string }) => p.id)).toContain(created.id);

    const again = await http('POST', `${sys.productUrl}/api/products/${created.id}/like`, { user_id: user });
    expect(again.status, again.text).toBe(409);
    expect(again.body.message).toContain('already liked');
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${created.id}`)).body.likes).toBe(1);

    const patched = await http('PATCH', `${sys.dashboardUrl}/api/products/${created.id}`, { title: 'Pencil', image: null });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ title: 'Pencil', image: null, likes: 1 });
    expect((await listed(sys.productUrl)).find((p) => p.id === created.id)).toMatchObject({ title: 'Pencil', image: null });

    const deleted = await http('DELETE', `${sys.dashboardUrl}/api/products/${created.id}`);
    expect(deleted.status).toBe(204);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${created.id}`)).status).toBe(404);
    expect((await listed(sys.productUrl)).find((p) => p.id === created.id)).toBeUndefined();
    expect((await http('GET', `${sys.dashboardUrl}/api/products/not-a-uuid`)).status).toBe(400);
  });

  it('200 concurrent likes by distinct users (64 in flight) count exactly 200, each caller its own count', async () => {
    const product = await createProduct('Popular');
    const users = await pool(200, 16, () => createUser());
    const results = await pool(200, 64, (i) => http('POST', `${sys.productUrl}/api/products/${product.id}/like`, { user_id: users[i] }));
    expect(results.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    expect(new Set(results.map((r) => r.body.likes)).size).toBe(200);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${product.id}`)).body.likes).toBe(200);
    const [{ n }] = await sql<{ n: number }>('PRODUCT', `SELECT COUNT(*) AS n FROM product_users WHERE product_id = '${product.id}'`);
    expect(Number(n)).toBe(200);
  });

  it('changes made while the product service is down all arrive once, in order, when it is back', async () => {
    const before = new Set((await listed(sys.productUrl)).map((p) => p.id));
    expect(await sys.stop('product_grpc')).toBe(0);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createProduct(`p${i} v1`)).id);
    for (let i = 0; i < 4; i++) expect((await http('PATCH', `${sys.dashboardUrl}/api/products/${ids[i]}`, { title: `p${i} v2` })).status).toBe(200);
    expect((await http('DELETE', `${sys.dashboardUrl}/api/products/${ids[4]}`)).status).toBe(204);
    const out = runCli(['outbox', '--json', '--service', 'dashboard'], sys.env);
    expect(out.code, out.stderr).toBe(0);
    const [report] = JSON.parse(out.stdout) as { topics: { state: string; count: number }[] }[];
    expect(report.topics.filter((t) => t.state === 'pending').reduce((sum, t) => sum + t.count, 0)).toBe(10);

    await sys.start('product_grpc');
    const expected = ids.slice(0, 4).map((id, i) => ({ id, title: `p${i} v2` })).sort((a, b) => a.id.localeCompare(b.id));
    const fresh = async () =>
      (await listed(sys.productUrl))
        .filter((p) => !before.has(p.id))
        .map(({ id, title }) => ({ id, title }))
        .sort((a, b) => a.id.localeCompare(b.id));
    expect(await eventually(fresh, (list) => JSON.stringify(list) === JSON.stringify(expected), 20_000)).toEqual(expected);
    const pending = await eventually(
      () => sql<{ n: number }>('DASHBOARD', `SELECT COUNT(*) AS n FROM mgrpc_outbox`),
      (rows) => Number(rows[0].n) === 0,
      10_000,
    );
    expect(Number(pending[0].n)).toBe(0);
    const finals = await sql<{ key: string }>('PRODUCT', 'SELECT key FROM mgrpc_ordering WHERE final');
    expect(finals.map((f) => f.key.split('/product:')[1])).toContain(ids[4]);
  });

  it('a database that does not answer at start-up: a line per retry, then one clear error, no stack trace', () => {
    const down = runCli(['migrate', '--service', 'dashboard'], {
      ...sys.env,
      LOG_LEVEL: 'info',
      DASHBOARD_DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/mgrpc',
      MGRPC_DB_CONNECT_RETRY_MS: '800',
    });
    expect(down.code).toBe(1);
    const lines = down.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.slice(0, -1).every((line) => line.includes('is not answering') && line.includes('retrying in'))).toBe(true);
    expect(lines.at(-1)).toMatch(/cannot connect to the database postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/mgrpc: .*ECONNREFUSED.*gave up after \d+ attempts in 800 ms/);
    expect(down.stderr).not.toMatch(/hunter2|\n\s+at /);
  });
});
