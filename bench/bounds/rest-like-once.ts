/**
 * The exactly-once twin of the bare REST like: the work our product service does for a like,
 * written by hand the fastest straightforward way, to show what the guarantees themselves
 * cost (docs/guarantees.md) apart from the framework. express `POST /like/:id {user_id}`:
 *  1. one transaction: the like row (`INSERT … WHERE EXISTS (product) ON CONFLICT DO NOTHING`,
 *     404 / 409 when nothing was inserted) and an outbox row with the like's idempotency key;
 *  2. LikeProduct on the bare gRPC server over one long-lived grpc-js channel, 5 s deadline,
 *     the key in the `idempotency-key` header: that server applies each key once
 *     (bare/grpc-like-server.ts: the user checked, an inbox row, the UPDATE, one transaction);
 *  3. 200 with the count. Delivered outbox rows are deleted together every 50 ms; a row whose
 *     call failed for a reason a retry can mend (unavailable, deadline) stays, the caller gets
 *     202, and a relay retries rows older than 5 s every 500 ms. A refusal (no such product or
 *     user) undoes the like and its outbox row and passes the status on.
 * Run by the bench as its own process, like bare/rest-like-pipeline.ts:
 *   BENCH_DB=… BENCH_PORT=0 BENCH_DASHBOARD_GRPC=127.0.0.1:N node dist/bench/bounds/rest-like-once.js
 */
import { randomUUID } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import express from 'express';

import { productServiceClient } from '../product-proto.js';
import { likeRequest } from '../bare/like-request.js';
import { serveHttp } from '../bare/serve.js';
import { isPostgresUrl, openBareDbAt } from '../bare/open.js';

type LikeClient = grpc.Client & {
  LikeProduct(
    request: { id: string; userId: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: { product?: { likes: string } }) => void,
  ): void;
};

const DEADLINE_MS = 5000;
const RETRY_AFTER_MS = 5000;
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL, grpc.status.UNKNOWN]);

const db = await openBareDbAt(process.env.BENCH_DB!);
// PostgreSQL types a SELECT list on its own, before the INSERT: it needs the casts.
const LIKE_VALUES = isPostgresUrl(process.env.BENCH_DB!) ? '?::uuid, ?::uuid, ?::uuid, ?::timestamptz, ?::timestamptz' : '?, ?, ?, ?, ?';
const ProductService = productServiceClient();
const dashboard = new ProductService(process.env.BENCH_DASHBOARD_GRPC!, grpc.credentials.createInsecure()) as unknown as LikeClient;

function likeProduct(productId: string, userId: string, key: string): Promise<number> {
  const metadata = new grpc.Metadata();
  metadata.set('idempotency-key', key);
  return new Promise((resolve, reject) =>
    dashboard.LikeProduct({ id: productId, userId }, metadata, { deadline: Date.now() + DEADLINE_MS }, (err, response) =>
      err ? reject(err) : resolve(Number(response?.product?.likes ?? 0)),
    ),
  );
}

// Delivered rows, deleted together (one statement per 50 ms, not one per like).
let delivered: number[] = [];
const inFlight = new Set<number>();
setInterval(() => {
  if (delivered.length === 0) return;
  const ids = delivered;
  delivered = [];
  db.transaction((tx) => tx.all(`DELETE FROM bare_outbox WHERE id IN (${ids.map(() => '?').join(', ')})`, ids)).catch(() => delivered.push(...ids));
}, 50).unref();

async function deliver(id: number, productId: string, userId: string, key: string): Promise<number> {
  inFlight.add(id);
  try {
    const likes = await likeProduct(productId, userId, key);
    delivered.push(id);
    return likes;
  } finally {
    inFlight.delete(id);
  }
}

// The relay: rows whose first delivery failed (or whose process died), retried.
setInterval(() => {
  const before = new Date(Date.now() - RETRY_AFTER_MS).toISOString();
  db.transaction((tx) => tx.all<{ id: number; idempotency_key: string; payload: string }>('SELECT id, idempotency_key, payload FROM bare_outbox WHERE created_at < ? ORDER BY id LIMIT 64', [before]))
    .then((rows) => {
      for (const row of rows) {
        if (inFlight.has(Number(row.id)) || delivered.includes(Number(row.id))) continue;
        const { productId, userId } = JSON.parse(row.payload) as { productId: string; userId: string };
        deliver(Number(row.id), productId, userId, row.idempotency_key).catch(() => undefined);
      }
    })
    .catch(() => undefined);
}, 500).unref();

type Recorded = { entry: number } | 'duplicate' | 'missing';

const app = express();
app.use(express.json());
app.post('/like/:id', async (req, res) => {
  const ids = likeRequest(req, res);
  if (!ids) return;
  const { productId, userId } = ids;
  const key = `like:${productId}:${userId}`;
  try {
    const now = new Date().toISOString();
    const recorded = await db.transaction(async (tx): Promise<Recorded> => {
      const inserted = await tx.all(
        `INSERT INTO product_users (id, user_id, product_id, created_at, updated_at) SELECT ${LIKE_VALUES}
         WHERE EXISTS (SELECT 1 FROM products WHERE id = ?) ON CONFLICT (user_id, product_id) DO NOTHING RETURNING id`,
        [randomUUID(), userId, productId, now, now, productId],
      );
      if (inserted.length === 0) return (await tx.all('SELECT id FROM products WHERE id = ?', [productId])).length > 0 ? 'duplicate' : 'missing';
      const [row] = await tx.all<{ id: number }>('INSERT INTO bare_outbox (idempotency_key, payload, created_at) VALUES (?, ?, ?) RETURNING id', [
        key,
        JSON.stringify({ productId, userId }),
        now,
      ]);
      return { entry: Number(row.id) };
    });
    if (recorded === 'missing') {
      res.status(404).json({ message: `product ${productId} not found` });
      return;
    }
    if (recorded === 'duplicate') {
      res.status(409).json({ message: `user ${userId} already liked product ${productId}` });
      return;
    }
    try {
      const likes = await deliver(recorded.entry, productId, userId, key);
      res.json({ message: 'Success', product_id: productId, user_id: userId, likes });
    } catch (err) {
      const code = (err as grpc.ServiceError).code;
      if (RETRYABLE.has(code)) {
        res.status(202).json({ message: 'Like recorded; it will be counted', status: 'pending', product_id: productId, user_id: userId });
        return;
      }
      await db.transaction(async (tx) => {
        await tx.all('DELETE FROM product_users WHERE user_id = ? AND product_id = ?', [userId, productId]);
        await tx.all('DELETE FROM bare_outbox WHERE id = ?', [recorded.entry]);
      });
      res.status(code === grpc.status.NOT_FOUND ? 404 : 400).json({ message: (err as grpc.ServiceError).details });
    }
  } catch (err) {
    res.status(500).json({ message: err instanceof Error ? err.message : String(err) });
  }
});

await serveHttp(app, () => db.close());
