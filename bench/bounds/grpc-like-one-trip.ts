/**
 * A bound of LikeProduct: the batched twin's work
 * (grpc-like-batched.ts: calls that arrive while a batch is written wait for the next; each
 * caller told its own count; a change-log row per like, with the product's fields and its
 * count after that like) in one trip through the database instead of three: each batch one
 * autocommit `UPDATE … RETURNING`, the log's rows written by a trigger inside it
 * (one-trip-writes.ts). Batching and answers: like-batches.ts, as the twin.
 *
 * The batched twin opens a transaction, updates, and sends the log's rows with the COMMIT: on
 * SQLite BEGIN, UPDATE and INSERT + COMMIT, three hops through the thread pool per batch of one
 * product (on PostgreSQL four round trips). Ours on SQLite writes a batch of plain likes as
 * this side does, its trigger generated from the product serializer
 * (services/framework/watch/counter-log.ts); here the SQL is written by hand. So on SQLite this
 * side is ours' design without the framework, on PostgreSQL another design with the same
 * guarantees (bounds/sides.ts, docs/performance.md).
 *   BENCH_DB=/tmp/x/bare-one-trip.sqlite3 BENCH_PORT=0 node dist/bench/bounds/grpc-like-one-trip.js   # prints {"port": N}
 */
import { openBareDbAt } from '../bare/open.js';
import { serveBatchedLikes } from './like-batches.js';
import { oneTripWrites } from './one-trip-writes.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
await serveBatchedLikes(await oneTripWrites(db, process.env.BENCH_DB!), () => db.close());
