/**
 * The bare baseline of WatchProducts fan-out: @grpc/grpc-js serving protos/product.proto with
 * LikeProduct as one autocommit `UPDATE … RETURNING *` (as bare/grpc-like-server.ts) that,
 * once it answered, writes the product to every open WatchProducts stream from memory: no
 * change log, no resume, no backpressure beyond grpc-js's own buffering. What a hand-written
 * server pushing changes costs; the framework's streams are measured against it.
 *   BENCH_DB=/tmp/x/bare-dashboard.sqlite3 BENCH_PORT=0 node dist/bench/bare/grpc-watch-server.js
 * prints `{"port": N}` on stdout once it listens.
 */
import * as grpc from '@grpc/grpc-js';

import { openBareDbAt } from './open.js';
import { serveGrpc } from './serve.js';
import { productServiceClient, type ProductRow } from '../product-proto.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
const service = productServiceClient().service;

const watchers = new Set<grpc.ServerWritableStream<unknown, unknown>>();
let seq = 0;
const server = new grpc.Server();
server.addService(service, {
  LikeProduct(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
    db.all<ProductRow>('UPDATE products SET likes = likes + 1, updated_at = ? WHERE id = ? RETURNING *', [new Date().toISOString(), call.request.id]).then(
      (rows) => {
        const row = rows[0];
        if (!row) return callback({ code: grpc.status.NOT_FOUND, details: `product ${call.request.id} not found` });
        const message = { id: row.id, title: row.title, image: row.image ?? '', likes: String(row.likes) };
        callback(null, { product: message });
        const change = { seq: String(++seq), updated: message };
        for (const watcher of watchers) watcher.write(change);
      },
      (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
    );
  },
  WatchProducts(call: grpc.ServerWritableStream<unknown, unknown>) {
    watchers.add(call);
    call.write({ seq: String(seq), ready: { snapshot: false, expired: false } });
    call.on('cancelled', () => watchers.delete(call));
  },
  LikeProducts(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in this baseline' });
  },
});
// Open watch streams would hold tryShutdown open: they are ended first.
await serveGrpc(server, () => db.close(), () => {
  for (const watcher of watchers) watcher.end();
});
