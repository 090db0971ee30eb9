/**
 * The bare baseline of LikeProduct: @grpc/grpc-js serving protos/product.proto (loaded with
 * @grpc/proto-loader, the framework's loader options) and one autocommit, prepared
 * `UPDATE … RETURNING *` per call through node-sqlite3 — what a hand-written server doing
 * the dashboard's work costs; or, with a postgres:// BENCH_DB, the same statement through a
 * `pg` Pool (bare/postgres.ts).
 *
 * A call with an `idempotency-key` header comes from the exactly-once twin of the REST like
 * (bounds/rest-like-once.ts) and is applied once per key, as our dashboard applies a relayed like:
 * in one transaction (on a connection of its own), the user checked, the key recorded in
 * `bare_inbox`, the `UPDATE`; a key seen before answers the current count without counting.
 *
 * Run by the bench as its own process:
 *   BENCH_DB=/tmp/x/bare-dashboard.sqlite3 BENCH_PORT=0 node dist/bench/bare/grpc-like-server.js
 * and prints `{"port": N}` on stdout once it listens.
 */
import * as grpc from '@grpc/grpc-js';

import { isPostgresUrl, openBareDbAt } from './open.js';
import { serveGrpc } from './serve.js';
import { productServiceClient, type ProductRow } from '../product-proto.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
// SQLite: the exactly-once path's transactions on their own connection, so the plain path's
// autocommit statements never land inside one. A pg Pool gives each transaction a client.
const onceDb = isPostgresUrl(process.env.BENCH_DB!) ? db : await openBareDbAt(process.env.BENCH_DB!);

type Like = grpc.ServerUnaryCall<{ id: string; userId: string }, unknown>;
type Answer = grpc.sendUnaryData<unknown>;

const LIKE = 'UPDATE products SET likes = likes + 1, updated_at = ? WHERE id = ? RETURNING *';

const answer = (callback: Answer, id: string, row: ProductRow | undefined) =>
  row
    ? callback(null, { product: { id: row.id, title: row.title, image: row.image ?? '', likes: String(row.likes) } })
    : callback({ code: grpc.status.NOT_FOUND, details: `product ${id} not found` });

class Refused extends Error {
  constructor(readonly code: grpc.status, message: string) {
    super(message);
  }
}

function likeOnce(key: string, { id, userId }: Like['request'], callback: Answer): void {
  const now = new Date().toISOString();
  onceDb
    .transaction(async (tx) => {
      if (userId && (await tx.all('SELECT id FROM users WHERE id = ?', [userId])).length === 0) throw new Refused(grpc.status.NOT_FOUND, `user ${userId} not found`);
      const fresh = await tx.all('INSERT INTO bare_inbox (idempotency_key, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING idempotency_key', [key, now]);
      const [row] = fresh.length > 0 ? await tx.all<ProductRow>(LIKE, [now, id]) : await tx.all<ProductRow>('SELECT * FROM products WHERE id = ?', [id]);
      // No such product: the inbox record goes with the rollback.
      if (!row) throw new Refused(grpc.status.NOT_FOUND, `product ${id} not found`);
      return row;
    })
    .then(
      (row) => answer(callback, id, row),
      (err: Error) => callback({ code: err instanceof Refused ? err.code : grpc.status.INTERNAL, details: err.message }),
    );
}

const server = new grpc.Server();
server.addService(productServiceClient().service, {
  LikeProduct(call: Like, callback: Answer) {
    const key = call.metadata.get('idempotency-key')[0];
    if (key !== undefined) return likeOnce(String(key), call.request, callback);
    db.all<ProductRow>(LIKE, [new Date().toISOString(), call.request.id]).then(
      (rows) => answer(callback, call.request.id, rows[0]),
      (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
    );
  },
});
await serveGrpc(server, async () => {
  await db.close();
  if (onceDb !== db) await onceDb.close();
});
