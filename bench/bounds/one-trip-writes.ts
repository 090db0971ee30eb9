/**
 * The one-trip bound's database work (grpc-like-one-trip.ts, layer-one-trip-server.ts): a
 * batch's likes of one product are one prepared autocommit `UPDATE products SET likes = likes
 * + n … RETURNING *`, and a trigger on the products table writes the batch's n change-log rows
 * (the product's fields and its count after each like) inside that statement, so the count and
 * its rows commit together. A batch naming several products runs its UPDATEs in one
 * transaction. On SQLite the trigger takes its like numbers from a table of 1 to MAX_BATCH
 * (SQLite allows no WITH clause in a trigger), as many as one statement here adds.
 *
 * The trigger fires for every like of the database it is installed in: the sides using it have
 * a database of their own (the bench's `bare_one_trip`), which no other side likes in.
 */
import { isPostgresUrl } from '../bare/open.js';
import type { Db, Tx } from '../bare/sqlite.js';
import type { ProductRow } from '../product-proto.js';
import { ADD_LIKES, MAX_BATCH, type WriteLikes } from './like-batches.js';

/** The change-log rows of an UPDATE that added likes: one per like, with the count after it. */
function triggerSql(postgres: boolean): string[] {
  return postgres
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
}

/** Installs the trigger in the database at `location` (opened as `db`) and returns the batches' writer. */
export async function oneTripWrites(db: Db, location: string): Promise<WriteLikes> {
  for (const statement of triggerSql(isPostgresUrl(location))) await db.all(statement);
  return (counts, now) => {
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
  };
}
