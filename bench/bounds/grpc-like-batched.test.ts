/**
 * The bare batched twin of LikeProduct (grpc-like-batched.ts) bounds a target, so it must do
 * the work it is said to do: concurrent calls written in batches, every like counted once
 * with its own change-log row, each caller told its own count, an unknown product refused
 * without failing the calls batched with it. Run as the bench runs it, on a SQLite file.
 * Needs `npm run build` (npm test does it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BENCH_DIST } from '../paths.js';
import { productServiceClient } from '../product-proto.js';
import { startBareServer, type ServerProcess } from '../servers.js';
import { openBareDbAt } from '../bare/open.js';
import type { Db } from '../bare/sqlite.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-bare-batched-'));
const file = path.join(dir, 'dashboard.sqlite3');
let db: Db;
let server: ServerProcess & { port: number };
let client: grpc.Client & { LikeProduct: (request: { id: string }, callback: (err: grpc.ServiceError | null, answer?: { product?: { likes: string } }) => void) => void };

const like = (id: string) =>
  new Promise<number>((resolve, reject) => client.LikeProduct({ id }, (err, answer) => (err ? reject(err) : resolve(Number(answer?.product?.likes)))));

beforeAll(async () => {
  db = await openBareDbAt(file);
  server = await startBareServer('batched_grpc', path.join(BENCH_DIST, 'bounds/grpc-like-batched.js'), 'grpc', { ...process.env, BENCH_DB: file });
  client = new (productServiceClient())(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as typeof client;
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.stop();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newProduct(): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await db.all('INSERT INTO products (id, title, image, likes, created_at, updated_at) VALUES (?, ?, NULL, 0, ?, ?)', [id, "it's batched", now, now]);
  return id;
}

describe('the bare batched twin of LikeProduct', () => {
  it('counts concurrent likes once each, tells each caller its own count, and writes a change-log row per like', async () => {
    const id = await newProduct();
    const counts = await Promise.all(Array.from({ length: 40 }, () => like(id)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(Number((await db.all<{ likes: number }>('SELECT likes FROM products WHERE id = ?', [id]))[0].likes)).toBe(40);
    const changes = await db.all<{ data: string }>('SELECT data FROM bare_changes WHERE key = ? ORDER BY seq', [id]);
    // In commit order, each like's count once, with the product's fields (the title's quote survived the SQL literal).
    expect(changes.map((c) => Number((JSON.parse(c.data) as { likes: string }).likes))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(JSON.parse(changes[0].data)).toMatchObject({ id, title: "it's batched", image: '' });
  });

  it('refuses an unknown product with NOT_FOUND and still counts the likes written with it', async () => {
    const id = await newProduct();
    const results = await Promise.allSettled([like(id), like(randomUUID()), like(id)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect(Number((await db.all<{ likes: number }>('SELECT likes FROM products WHERE id = ?', [id]))[0].likes)).toBe(2);
  });
});
