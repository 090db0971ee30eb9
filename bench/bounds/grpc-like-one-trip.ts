/**
 * A bound of LikeProduct for a design other than ours: the batched twin's work
 * (grpc-like-batched.ts: calls that arrive while a batch is written wait for the next; each
 * caller told its own count; a change-log row per like, with the product's fields and its
 * count after that like) in one trip through the database instead of three. A batch of likes
 * of one product is one prepared autocommit `UPDATE products SET likes = likes + n … RETURNING *`,
 * and a trigger on the products table writes the batch's n change-log rows inside that
 * statement, so the count and its rows still commit together. (A batch naming several
 * products runs its UPDATEs in one transaction, as the twin does.) Batching and answers:
 * like-batches.ts, as the twin.
 *
 * Ours and the batched twin open a transaction, update, and send the log's rows with the
 * COMMIT: on SQLite BEGIN, UPDATE and INSERT + COMMIT, three hops through the thread pool per
 * batch of one product (on PostgreSQL four round trips).
 * This side shows what a server with the same guarantees reaches when the log is written by
 * the database: a target this side reaches is not out of reach on this machine, whatever ours
 * and the twin reach (docs/performance.md). The price is the log's message built twice: here in
 * SQL (json_object / json_build_object), in ours by the product's serializer.
 *
 * Its own database (the bench's `bare_one_trip`): the trigger must not fire for the other
 * bare sides' likes. On SQLite the trigger takes its like numbers from a table of 1 to
 * MAX_BATCH (SQLite allows no WITH clause in a trigger), as many as one statement here adds.
 *   BENCH_DB=/tmp/x/bare-one-trip.sqlite3 BENCH_PORT=0 node dist/bench/bounds/grpc-like-one-trip.js   # prints {"port": N}
 */
import { isPostgresUrl, openBareDbAt } from '../bare/open.js';
import type { Tx } from '../bare/sqlite.js';
import type { ProductRow } from '../product-proto.js';
import { ADD_LIKES, MAX_BATCH, serveBatchedLikes } from './like-batches.js';

const postgres = isPostgresUrl(process.env.BENCH_DB!);
const db = await openBareDbAt(process.env.BENCH_DB!);

/** The change-log rows of an UPDATE that added likes: one per like, with the count after it. */
const TRIGGER = postgres
  ? [
      `CREATE OR REPLACE FUNCTION bare_like_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         INSERT INTO bare_changes (topic, key, kind, data, created_at)
         SELECT 'product', NEW.id, 'updated', json_build_object('id', NEW.id, 'title', NEW.title, 'image', coalesce(NEW.image, ''), 'likes', (OLD.likes + k)::text)::text,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint
         FROM generate_series(1, NEW.likes - OLD.likes) AS k ORDER BY k;
         RETURN NULL;
       END $$`,
      'DROP TRIGGER IF EXISTS bare_like_log ON products',
      'CREATE TRIGGER bare_like_log AFTER UPDATE OF likes ON products FOR EACH ROW EXECUTE FUNCTION bare_like_log()',
    ]
  : [
      'CREATE TABLE IF NOT EXISTS bare_like_numbers (k INTEGER PRIMARY KEY)',
      `INSERT OR IGNORE INTO bare_like_numbers (k) WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ${MAX_BATCH}) SELECT k FROM n`,
      `CREATE TRIGGER IF NOT EXISTS bare_like_log AFTER UPDATE OF likes ON products BEGIN
         INSERT INTO bare_changes (topic, key, kind, data, created_at)
         SELECT 'product', NEW.id, 'updated', json_object('id', NEW.id, 'title', NEW.title, 'image', coalesce(NEW.image, ''), 'likes', CAST(OLD.likes + k AS TEXT)),
                CAST(unixepoch('subsec') * 1000 AS INTEGER)
         FROM bare_like_numbers WHERE k <= NEW.likes - OLD.likes ORDER BY k;
       END`,
    ];
for (const statement of TRIGGER) await db.all(statement);

/** Each product's likes added; the trigger writes the log's rows in the same statement. */
await serveBatchedLikes(
  (counts, now) => {
    const addAll = async (all: Tx['all']) => {
      const found = new Map<string, ProductRow>();
      for (const [id, n] of counts) {
        const [row] = await all<ProductRow>(ADD_LIKES, [n, now, id]);
        if (row) found.set(id, row);
      }
      return found;
    };
    // The usual batch names one product: one statement, committed on its own.
    return counts.size === 1 ? addAll(db.all) : db.transaction((tx) => addAll(tx.all));
  },
  () => db.close(),
);
