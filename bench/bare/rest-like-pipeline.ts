/**
 * The bare baseline of the product service's like: express `POST /like/:id {user_id}`, the
 * product looked up, one INSERT into product_users (unique per user and product), then a
 * LikeProduct call to the bare gRPC server (grpc-like-server.ts) over one long-lived
 * grpc-js client with a deadline — the tutorial's pipeline without the framework
 * (no outbox, no idempotency records). BENCH_DB is a SQLite file or a postgres:// URL
 * (a `pg` Pool, bare/postgres.ts). Run by the bench as its own process:
 *   BENCH_DB=… BENCH_PORT=0 BENCH_DASHBOARD_GRPC=127.0.0.1:N node dist/bench/bare/rest-like-pipeline.js
 * and prints `{"port": N}` on stdout once it listens.
 */
import { randomUUID } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import express from 'express';

import { productServiceClient } from '../product-proto.js';
import { likeRequest } from './like-request.js';
import { serveHttp } from './serve.js';
import { isUniqueViolation, openBareDbAt } from './open.js';

type LikeClient = grpc.Client & {
  LikeProduct(request: { id: string }, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: { product?: { likes: string } }) => void): void;
};

const DEADLINE_MS = 5000;

const db = await openBareDbAt(process.env.BENCH_DB!);
const ProductService = productServiceClient();
const dashboard = new ProductService(process.env.BENCH_DASHBOARD_GRPC!, grpc.credentials.createInsecure()) as unknown as LikeClient;

function likeProduct(id: string): Promise<number> {
  return new Promise((resolve, reject) =>
    dashboard.LikeProduct({ id }, { deadline: Date.now() + DEADLINE_MS }, (err, response) => (err ? reject(err) : resolve(Number(response?.product?.likes ?? 0)))),
  );
}

const app = express();
app.use(express.json());
app.post('/like/:id', async (req, res) => {
  const ids = likeRequest(req, res);
  if (!ids) return;
  const { productId, userId } = ids;
  try {
    const [product] = await db.all('SELECT id FROM products WHERE id = ?', [productId]);
    if (!product) {
      res.status(404).json({ message: `product ${productId} not found` });
      return;
    }
    const now = new Date().toISOString();
    try {
      await db.all('INSERT INTO product_users (id, user_id, product_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [randomUUID(), userId, productId, now, now]);
    } catch (err) {
      if (isUniqueViolation(err)) {
        res.status(409).json({ message: `user ${userId} already liked product ${productId}` });
        return;
      }
      throw err;
    }
    const likes = await likeProduct(productId);
    res.json({ message: 'Success', product_id: productId, user_id: userId, likes });
  } catch (err) {
    res.status(500).json({ message: err instanceof Error ? err.message : String(err) });
  }
});

await serveHttp(app, () => db.close());
