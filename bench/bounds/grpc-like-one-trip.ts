/**
 * A bound of LikeProduct for a design other than ours: the batched twin's work
 * (grpc-like-batched.ts: calls that arrive while a batch is written wait for the next; each
 * caller told its own count; a change-log row per like, with the product's fields and its
 * count after that like) in one trip through the database instead of three: each batch one
 * autocommit `UPDATE … RETURNING`, the log's rows written by a trigger inside it
 * (one-trip-writes.ts). Batching and answers: like-batches.ts, as the twin.
 *
 * Ours and the batched twin open a transaction, update, and send the log's rows with the
 * COMMIT: on SQLite BEGIN, UPDATE and INSERT + COMMIT, three hops through the thread pool per
 * batch of one product (on PostgreSQL four round trips).
 * This side shows what a server with the same guarantees reaches when the log is written by
 * the database: a target this side reaches is not out of reach on this machine, whatever ours
 * and the twin reach (docs/performance.md). The price is the log's message built twice: here in
 * SQL (json_object / json_build_object), in ours by the product's serializer.
 *   BENCH_DB=/tmp/x/bare-one-trip.sqlite3 BENCH_PORT=0 node dist/bench/bounds/grpc-like-one-trip.js   # prints {"port": N}
 */
import { openBareDbAt } from '../bare/open.js';
import { serveBatchedLikes } from './like-batches.js';
import { oneTripWrites } from './one-trip-writes.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
await serveBatchedLikes(await oneTripWrites(db, process.env.BENCH_DB!), () => db.close());
