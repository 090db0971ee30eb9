/**
 * The LikeProduct bounds that batch (like-batches.ts) bound targets, so they must do the work
 * they are said to do: concurrent calls written in batches, every like counted once with its
 * own change-log row, each caller told its own count, an unknown product refused without
 * failing the calls batched with it. The batched twin (grpc-like-batched.ts) writes the log's
 * rows with its COMMIT, the one-trip bound (grpc-like-one-trip.ts) and the framework layer
 * around it (layer-one-trip-server.ts) by a trigger; each is run
 * as the bench runs it, on a SQLite file and on a PostgreSQL database. Needs `npm run build`
 * (npm test does it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { BENCH_DIST } from '../paths.js';
import { productServiceClient } from '../product-proto.js';
import { startBareServer, type ServerProcess } from '../servers.js';
import { openBareDbAt } from '../bare/open.js';
import type { Db } from '../bare/sqlite.js';

type LikeClient = grpc.Client & { LikeProduct: (request: { id: string }, callback: (err: grpc.ServiceError | null, answer?: { product?: { likes: string } }) => void) => void };

describe.each([
  { bound: 'batched', script: 'bounds/grpc-like-batched.js', dialect: 'sqlite' },
  { bound: 'batched', script: 'bounds/grpc-like-batched.js', dialect: 'postgres' },
  { bound: 'one-trip', script: 'bounds/grpc-like-one-trip.js', dialect: 'sqlite' },
  { bound: 'one-trip', script: 'bounds/grpc-like-one-trip.js', dialect: 'postgres' },
  { bound: 'layer-one-trip', script: 'bounds/layer-one-trip-server.js', dialect: 'sqlite' },
  { bound: 'layer-one-trip', script: 'bounds/layer-one-trip-server.js', dialect: 'postgres' },
])('the $bound LikeProduct bound on $dialect', ({ bound, script, dialect }) => {
  const dir = mkdtempSync(path.join(tmpdir(), `mgrpc-bare-${bound}-`));
  let pg: TestDatabase | undefined;
  let db: Db;
  let server: ServerProcess & { port: number };
  let client: LikeClient;

  const like = (id: string) =>
    new Promise<number>((resolve, reject) => client.LikeProduct({ id }, (err, answer) => (err ? reject(err) : resolve(Number(answer?.product?.likes)))));
  const likesOf = async (id: string) => Number((await db.all<{ likes: number }>('SELECT likes FROM products WHERE id = ?', [id]))[0].likes);
  const loggedCounts = async (id: string) =>
    (await db.all<{ data: string }>('SELECT data FROM bare_changes WHERE key = ? ORDER BY seq', [id])).map((c) => Number((JSON.parse(c.data) as { likes: string }).likes));

  beforeAll(async () => {
    if (dialect === 'postgres') pg = await createTestDatabase();
    const target = pg?.url ?? path.join(dir, 'dashboard.sqlite3');
    db = await openBareDbAt(target);
    server = await startBareServer(`${bound}_grpc`, path.join(BENCH_DIST, script), 'grpc', { ...process.env, BENCH_DB: target });
    client = new (productServiceClient())(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as LikeClient;
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await server?.stop();
    await db?.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newProduct(): Promise<string> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await db.all('INSERT INTO products (id, title, image, likes, created_at, updated_at) VALUES (?, ?, NULL, 0, ?, ?)', [id, "it's batched", now, now]);
    return id;
  }

  it('counts concurrent likes once each, tells each caller its own count, and writes a change-log row per like', async () => {
    const id = await newProduct();
    const before = Date.now();
    const counts = await Promise.all(Array.from({ length: 40 }, () => like(id)));
    const after = Date.now();
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await likesOf(id)).toBe(40);
    // In commit order, each like's count once, with the product's fields (the title's quote survived the SQL).
    expect(await loggedCounts(id)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const [first] = await db.all<{ data: string; created_at: number | string }>('SELECT data, created_at FROM bare_changes WHERE key = ? ORDER BY seq LIMIT 1', [id]);
    expect(JSON.parse(first.data)).toEqual({ id, title: "it's batched", image: '', likes: '1' });
    // Epoch milliseconds, as the framework's mgrpc_changes.created_at.
    expect(Number(first.created_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Number(first.created_at)).toBeLessThanOrEqual(after + 1000);
  });

  it('writes likes of several products sent together, each caller told its own product\'s count, each with its own log rows', async () => {
    const a = await newProduct();
    const b = await newProduct();
    // Sent at once on one channel: after the first, they arrive while a batch is written and go
    // into batches that name both products (a multi-product batch is one transaction).
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => like(i % 3 === 0 ? b : a)));
    const ofA = results.filter((_, i) => i % 3 !== 0).sort((x, y) => x - y);
    const ofB = results.filter((_, i) => i % 3 === 0).sort((x, y) => x - y);
    expect(ofA).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(ofB).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect([await likesOf(a), await likesOf(b)]).toEqual([20, 10]);
    expect(await loggedCounts(a)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await loggedCounts(b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('refuses an unknown product with NOT_FOUND and still counts the likes written with it', async () => {
    const id = await newProduct();
    const results = await Promise.allSettled([like(id), like(randomUUID()), like(id)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect(await likesOf(id)).toBe(2);
    expect(await loggedCounts(id)).toEqual([1, 2]);
  });
});
