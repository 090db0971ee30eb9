/**
 * The bare baseline of LikeProduct: @grpc/grpc-js serving protos/product.proto (loaded with
 * @grpc/proto-loader, the framework's loader options) and one autocommit, prepared
 * `UPDATE … RETURNING *` per call through node-sqlite3 — what a hand-written server doing
 * the dashboard's work costs; or, with a postgres:// BENCH_DB, the same statement through a
 * `pg` Pool (bare/postgres.ts). Run by the bench as its own process:
 *   BENCH_DB=/tmp/x/bare-dashboard.sqlite3 BENCH_PORT=0 node dist/bench/bare/grpc-like-server.js
 * and prints `{"port": N}` on stdout once it listens.
 */
import * as grpc from '@grpc/grpc-js';

import { openBareDbAt } from './open.js';
import { productServiceClient, type ProductRow } from '../product-proto.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
const service = productServiceClient().service;

const server = new grpc.Server();
server.addService(service, {
  LikeProduct(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
    db.all<ProductRow>('UPDATE products SET likes = likes + 1, updated_at = ? WHERE id = ? RETURNING *', [new Date().toISOString(), call.request.id]).then(
      (rows) => {
        const row = rows[0];
        if (!row) return callback({ code: grpc.status.NOT_FOUND, details: `product ${call.request.id} not found` });
        callback(null, { product: { id: row.id, title: row.title, image: row.image ?? '', likes: String(row.likes) } });
      },
      (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
    );
  },
});
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync(`127.0.0.1:${process.env.BENCH_PORT ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
);
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => server.tryShutdown(() => void db.close().finally(() => process.exit(0))));

// The bench holds the other end of stdin: when it is gone, stop (see bench/servers.ts).
process.stdin.on('data', () => undefined);
process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
