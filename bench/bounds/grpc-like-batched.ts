/**
 * A bound of LikeProduct: the work our dashboard does for it in a transaction (on PostgreSQL,
 * and on SQLite for batches with idempotency keys), written by hand on the bare server's
 * libraries. Calls that arrive while a batch is being written wait and go in the
 * next batch (like-batches.ts), and a batch is one transaction: per product one prepared
 * `UPDATE products SET likes = likes + n … RETURNING *`, and a change-log row per like (the
 * product's fields and its count after that like, what a watcher of the product receives)
 * sent with the COMMIT, as the framework's write queue sends a change log's rows. Coalescing is
 * what lets ours do less per call than the bare server; the change log is what a like costs
 * ours beyond the bare server's one statement (WatchProducts reads it). So a server that does
 * a batch as ours does (BEGIN, UPDATE, the log's rows with the COMMIT) answers no more calls
 * here than this, however its layer is written; ours against it is the framework's own cost.
 * A server that writes the log otherwise can do better: grpc-like-one-trip.ts, which is what
 * ours does on SQLite for a batch of plain likes (`mgrpc bench`, docs/performance.md).
 *   BENCH_DB=/tmp/x/bare-dashboard.sqlite3 BENCH_PORT=0 node dist/bench/bounds/grpc-like-batched.js   # prints {"port": N}
 */
import { openBareDbAt } from '../bare/open.js';
import type { ProductRow } from '../product-proto.js';
import { ADD_LIKES, serveBatchedLikes } from './like-batches.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
/** Rows per change-log INSERT (SQLite takes at most 500 rows in one VALUES). */
const CHANGE_ROWS = 64;

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** One transaction for the batch: each product's count once, a change-log row per like. */
await serveBatchedLikes(
  (counts, now) =>
    db.transaction(async (tx) => {
      const found = new Map<string, ProductRow>();
      const changes: string[] = [];
      const at = Date.now();
      for (const [id, n] of counts) {
        const [row] = await tx.all<ProductRow>(ADD_LIKES, [n, now, id]);
        if (!row) continue;
        found.set(id, row);
        const head = JSON.stringify({ id: row.id, title: row.title, image: row.image ?? '' }).slice(0, -1);
        for (let k = n - 1; k >= 0; k--) changes.push(`('product', ${quote(id)}, 'updated', ${quote(`${head},"likes":"${Number(row.likes) - k}"}`)}, ${at})`);
      }
      for (let i = 0; i < changes.length; i += CHANGE_ROWS) {
        tx.beforeCommit(`INSERT INTO bare_changes (topic, key, kind, data, created_at) VALUES ${changes.slice(i, i + CHANGE_ROWS).join(', ')}`);
      }
      return found;
    }),
  () => db.close(),
);
