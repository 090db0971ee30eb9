/**
 * A bound of LikeProduct: the work our dashboard does for it, written by hand on the bare
 * server's libraries. Calls that arrive while a batch is being written wait and go in the
 * next batch, and a batch is one transaction: per product one prepared
 * `UPDATE products SET likes = likes + n … RETURNING *`, and a change-log row per like (the
 * product's fields and its count after that like, what a watcher of the product receives)
 * sent with the COMMIT, as the framework's write queue sends its change log. Coalescing is
 * what lets ours do less per call than the bare server; the change log is what a like costs
 * ours beyond the bare server's one statement (WatchProducts reads it). So no server that
 * keeps a change feed in the same transaction as the count answers more calls here than
 * this, however its layer is written (`mgrpc bench`, docs/performance.md).
 *   BENCH_DB=/tmp/x/bare-dashboard.sqlite3 BENCH_PORT=0 node dist/bench/bounds/grpc-like-batched.js   # prints {"port": N}
 */
import * as grpc from '@grpc/grpc-js';

import { openBareDbAt } from '../bare/open.js';
import { serveGrpc } from '../bare/serve.js';
import { productServiceClient, type ProductRow } from '../product-proto.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
const LIKES = 'UPDATE products SET likes = likes + ?, updated_at = ? WHERE id = ? RETURNING *';
/** Rows per change-log INSERT (SQLite takes at most 500 rows in one VALUES). */
const CHANGE_ROWS = 64;

interface Call {
  id: string;
  callback: grpc.sendUnaryData<unknown>;
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** One transaction for the calls: each product's count once, a change-log row per like, then the answers. */
async function likeAll(calls: readonly Call[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const { id } of calls) counts.set(id, (counts.get(id) ?? 0) + 1);
  const now = new Date().toISOString();
  const rows = await db.transaction(async (tx) => {
    const found = new Map<string, ProductRow>();
    const changes: string[] = [];
    const at = Date.now();
    for (const [id, n] of counts) {
      const [row] = await tx.all<ProductRow>(LIKES, [n, now, id]);
      if (!row) continue;
      found.set(id, row);
      const head = JSON.stringify({ id: row.id, title: row.title, image: row.image ?? '' }).slice(0, -1);
      for (let k = n - 1; k >= 0; k--) changes.push(`('product', ${quote(id)}, 'updated', ${quote(`${head},"likes":"${Number(row.likes) - k}"}`)}, ${at})`);
    }
    for (let i = 0; i < changes.length; i += CHANGE_ROWS) {
      tx.beforeCommit(`INSERT INTO bare_changes (topic, key, kind, data, created_at) VALUES ${changes.slice(i, i + CHANGE_ROWS).join(', ')}`);
    }
    return found;
  });
  const given = new Map<string, number>();
  for (const { id, callback } of calls) {
    const row = rows.get(id);
    if (!row) {
      callback({ code: grpc.status.NOT_FOUND, details: `product ${id} not found` });
      continue;
    }
    const k = (given.get(id) ?? 0) + 1;
    given.set(id, k);
    callback(null, { product: { id: row.id, title: row.title, image: row.image ?? '', likes: String(Number(row.likes) - counts.get(id)! + k) } });
  }
}

const waiting: Call[] = [];
let writing = false;

/** Writes batches while calls wait; a lone call is written at once. */
async function drain(): Promise<void> {
  writing = true;
  while (waiting.length > 0) {
    const batch = waiting.splice(0, 256);
    await likeAll(batch).catch((err: Error) => {
      for (const { callback } of batch) callback({ code: grpc.status.INTERNAL, details: err.message });
    });
  }
  writing = false;
}

const server = new grpc.Server();
server.addService(productServiceClient().service, {
  LikeProduct(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
    waiting.push({ id: call.request.id, callback });
    if (!writing) void drain();
  },
});
await serveGrpc(server, () => db.close());
