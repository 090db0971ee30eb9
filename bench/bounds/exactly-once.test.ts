/**
 * The bare exactly-once twin (rest-like-once.ts → bare/grpc-like-server.ts) is a measuring
 * instrument for the REST like's bound: it must really give the guarantees it is said to
 * cost, or the bound it sets means nothing. Both run as the bench runs them, on SQLite files.
 * Needs `npm run build` (npm test does it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../services/framework/server-process.js';
import { BENCH_DIST } from '../paths.js';
import { productServiceClient } from '../product-proto.js';
import { startBareServer, type ServerProcess } from '../servers.js';
import { openBareDbAt } from '../bare/open.js';
import type { Db } from '../bare/sqlite.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-bare-once-'));
const files = { dashboard: path.join(dir, 'dashboard.sqlite3'), product: path.join(dir, 'product.sqlite3') };
const user = randomUUID();
const servers: ServerProcess[] = [];
let dashboardDb: Db;
let productDb: Db;
let grpcPort: number;
let restUrl: string;

const startGrpc = async () => {
  const server = await startBareServer('bare_grpc', path.join(BENCH_DIST, 'bare/grpc-like-server.js'), 'grpc', { ...process.env, BENCH_DB: files.dashboard, BENCH_PORT: String(grpcPort) });
  servers.push(server);
  return server;
};

async function newProduct(): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  for (const db of [dashboardDb, productDb]) await db.all('INSERT INTO products (id, title, image, likes, created_at, updated_at) VALUES (?, ?, NULL, 0, ?, ?)', [id, 'once', now, now]);
  return id;
}

const likesOf = async (id: string) => Number((await dashboardDb.all<{ likes: number }>('SELECT likes FROM products WHERE id = ?', [id]))[0]?.likes);

async function like(productId: string, userId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${restUrl}/like/${productId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: userId }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dashboardDb = await openBareDbAt(files.dashboard);
  productDb = await openBareDbAt(files.product);
  const now = new Date().toISOString();
  await dashboardDb.all('INSERT INTO users (id, created_at, updated_at) VALUES (?, ?, ?)', [user, now, now]);
  grpcPort = await freePort();
  const rest = await startBareServer('bare_rest_once', path.join(BENCH_DIST, 'bounds/rest-like-once.js'), 'rest', { ...process.env, BENCH_DB: files.product, BENCH_DASHBOARD_GRPC: `127.0.0.1:${grpcPort}` });
  servers.push(rest);
  restUrl = `http://127.0.0.1:${rest.port}`;
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.stop()));
  await Promise.allSettled([dashboardDb?.close(), productDb?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('the bare exactly-once twin', () => {
  it('answers 202 while the dashboard is down, and its relay has the like counted once when it is back', { timeout: 60_000 }, async () => {
    const id = await newProduct();
    const down = await like(id, user);
    expect(down).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect((await productDb.all('SELECT id FROM bare_outbox')).length).toBe(1);
    await startGrpc();
    // The relay retries rows older than 5 s every 500 ms; waited for by polling the outcome, bounded.
    for (let i = 0; i < 600 && (await productDb.all('SELECT id FROM bare_outbox')).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await likesOf(id)).toBe(1);
    expect((await productDb.all('SELECT id FROM bare_outbox')).length).toBe(0);
  });

  it('likes once per user: 200 with the count, a second like 409, a missing product 404, an unknown user undone', { timeout: 30_000 }, async () => {
    const id = await newProduct();
    expect(await like(id, user)).toMatchObject({ status: 200, body: { likes: 1 } });
    expect((await like(id, user)).status).toBe(409);
    expect((await like(randomUUID(), user)).status).toBe(404);
    // The dashboard refuses a user it does not know: the like row goes, so the same like can be made later.
    const stranger = randomUUID();
    expect(await like(id, stranger)).toMatchObject({ status: 404, body: { message: `user ${stranger} not found` } });
    expect(await productDb.all('SELECT id FROM product_users WHERE user_id = ?', [stranger])).toEqual([]);
    expect(await likesOf(id)).toBe(1);
  });

  it('counts a redelivered key once on the gRPC side, answering the count each time', { timeout: 30_000 }, async () => {
    const id = await newProduct();
    const client = new (productServiceClient())(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const call = (key: string) =>
      new Promise<string>((resolve, reject) => {
        const metadata = new grpc.Metadata();
        metadata.set('idempotency-key', key);
        client.LikeProduct({ id, userId: user }, metadata, (err: grpc.ServiceError | null, answer?: { product: { likes: string } }) => (err ? reject(err) : resolve(answer!.product.likes)));
      });
    try {
      expect(await call('k1')).toBe('1');
      expect(await call('k1')).toBe('1');
      expect(await call('k2')).toBe('2');
      expect(await likesOf(id)).toBe(2);
    } finally {
      client.close();
    }
  });
});
