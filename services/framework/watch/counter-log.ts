/**
 * `logCounterIncreases(options)`: on SQLite, the database itself writes the change log's rows
 * for a counter's increases (a like adds to `likes`): a trigger on the table inserts one row
 * per unit added, each with the object's message and the count after that unit, inside the
 * statement that added them. So a batch of likes is one autocommit `UPDATE … RETURNING` where
 * it would otherwise be a transaction of three trips through node-sqlite3's thread pool
 * (BEGIN, the UPDATE, the log's rows with the COMMIT), and the count and its rows still commit
 * together, in or out of a transaction. Returns true there; the caller then records none of
 * those rows itself, and tells the feed with `changesCommitted` once they are committed.
 *
 * The message is still defined once, by the serializer: the trigger's JSON is generated from
 * its fields and the model's column types, as `toMessage` shows them (text and integers as they
 * are, null as '', a DATE as ISO 8601 in UTC; counter-log.test.ts holds the two equal).
 * A field of a type the generator does not know refuses at start-up. The trigger is replaced
 * when the generated text changes (a field added to the serializer), so a start of the changed
 * code brings it up to date.
 *
 * On PostgreSQL nothing is installed (returns false): a batch there is a few round trips on an
 * open connection, not hops through a thread pool, and the log's numbers come from its counter
 * row (tables.ts), which `recordChanges` keeps.
 *
 * Only increases are logged, each one's last MAX_LOGGED_UNITS units at most; another writer that
 * sets the counter records its own change. The trigger stays when the code that installed it is
 * gone: a build of the service from before it, run on the same database, would log each like
 * twice (`DROP TRIGGER mgrpc_log_<table>_<counter>` undoes it).
 *
 * @example
 *   const logged = await logCounterIncreases({ sequelize, model: Product, serializer, topic: 'product', counter: 'likes' });
 *   // then, per batch: `UPDATE products SET likes = likes + ? … RETURNING *` and changesCommitted(sequelize, n)
 */
import type { Model, ModelStatic, Sequelize } from 'sequelize';

import { atomic } from '../db/atomic.js';
import { sqliteLiteral, sqlRunner } from '../db/sql.js';
import type { FieldName, ModelSerializer } from '../model/serializer.js';
import { CHANGES_TABLE } from './tables.js';

export interface CounterLogOptions<M extends Model> {
  sequelize: Sequelize;
  model: ModelStatic<M>;
  serializer: ModelSerializer<M>;
  /** The change log's topic for the model's changes (the resource's name). */
  topic: string;
  /** The counter attribute whose increases are logged (a serializer field). */
  counter: FieldName<M>;
  /** The attribute a change is keyed by: the resource's lookup field (default: the primary key). */
  key?: FieldName<M>;
}

/**
 * The most units one increase logs: its last ones. A like batch adds at most 64 per product
 * (applyOnceBatched's batch); a larger jump is a repair of the count, whose every unit would
 * flood the log (and, past MGRPC_CHANGE_LOG_KEEP, expire every watcher's resume point).
 */
export const MAX_LOGGED_UNITS = 1000;


/** How a column of each type (`quoted`, its name as SQL) becomes what `toMessage` shows, in SQLite's JSON. */
function valueSql(type: string, column: string, quoted: string): string {
  const value = `NEW.${quoted}`;
  switch (type) {
    case 'STRING':
    case 'TEXT':
    case 'CHAR':
    case 'UUID':
    case 'INTEGER':
    case 'BIGINT':
    case 'SMALLINT':
      return `coalesce(${value}, '')`;
    case 'DATE':
      // Sequelize keeps a DATE as text with its offset (`2026-12-07 10:00:00.000 +00:00`); SQLite reads the offset.
      return `CASE WHEN ${value} IS NULL THEN '' ELSE strftime('%Y-%m-%dT%H:%M:%fZ', ${value}) END`;
    default:
      throw new Error(`logCounterIncreases: no SQL form of a ${type || 'typeless'} field ('${column}') in a change message; record the changes with recordChanges instead`);
  }
}

/** The trigger's name: one per table and counter. */
export function counterTriggerName(table: string, counter: string): string {
  return `mgrpc_log_${table}_${counter}`.replace(/[^A-Za-z0-9_]/g, '_');
}

/** The CREATE TRIGGER statement for SQLite, generated from the serializer and the model. */
export function counterTriggerSql<M extends Model>({ model, serializer, topic, counter, key: keyField }: Omit<CounterLogOptions<M>, 'sequelize'>): string {
  const attributes = model.getAttributes() as Record<string, { field?: string; type?: { key?: string }; get?: unknown }>;
  const quoteName = (name: string) => model.sequelize!.getQueryInterface().quoteIdentifier(name);
  const columnOf = (field: string) => {
    const attribute = attributes[field];
    if (!attribute) throw new Error(`logCounterIncreases: '${field}' is not an attribute of ${model.name}`);
    return attribute.field ?? field;
  };
  if (!serializer.fields.includes(counter)) throw new Error(`logCounterIncreases: the counter '${counter}' is not a field of the serializer`);
  const table = model.getTableName() as string;
  const key = columnOf(keyField ?? model.primaryKeyAttribute);
  const counterColumn = quoteName(columnOf(counter));
  const logged = `min(NEW.${counterColumn} - OLD.${counterColumn}, ${MAX_LOGGED_UNITS})`;
  // The k-th of the last `logged` units (k from 0): SQLite allows no WITH in a trigger, so the
  // numbers come from json_each over an array of zeros ('[0,0,0]', made from a zeroblob's hex).
  const units = `json_each('[' || substr(replace(hex(zeroblob(${logged})), '00', '0,'), 1, 2 * ${logged} - 1) || ']') AS unit`;
  const fields = serializer.fields.map((field) => {
    const name = sqliteLiteral(serializer.messageField(field));
    if (field === counter) return `${name}, NEW.${counterColumn} - ${logged} + unit.key + 1`;
    // A getter shows the value otherwise than the column holds it, which SQL cannot follow.
    if (attributes[field]?.get) throw new Error(`logCounterIncreases: '${field}' has a getter, which the trigger cannot apply; record the changes with recordChanges instead`);
    return `${name}, ${valueSql(attributes[field]?.type?.key ?? '', columnOf(field), quoteName(columnOf(field)))}`;
  });
  return [
    `CREATE TRIGGER ${quoteName(counterTriggerName(table, counter))} AFTER UPDATE OF ${counterColumn} ON ${quoteName(table)}`,
    `WHEN NEW.${counterColumn} > OLD.${counterColumn}`,
    'BEGIN',
    `  INSERT INTO ${CHANGES_TABLE} (topic, key, kind, data, created_at)`,
    `  SELECT ${sqliteLiteral(topic)}, NEW.${quoteName(key)}, 'updated', json_object(${fields.join(', ')}), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`,
    `  FROM ${units} ORDER BY unit.key;`,
    'END',
  ].join('\n');
}

/** Installs (or replaces) the trigger on SQLite; true when the database now logs the counter's increases. */
export async function logCounterIncreases<M extends Model>(options: CounterLogOptions<M>): Promise<boolean> {
  const { sequelize } = options;
  if (sequelize.getDialect() !== 'sqlite') return false;
  const text = counterTriggerSql(options);
  const name = counterTriggerName(options.model.getTableName() as string, options.counter);
  const sql = sqlRunner(sequelize);
  const installed = async () => (await sql.all<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]))[0]?.sql;
  if ((await installed()) === text) return true;
  // The service's servers start together: each replaces it in a transaction of its own, so the
  // last one leaves the same text, and no like runs between the DROP and the CREATE.
  await atomic(sequelize, async (transaction) => {
    await sql.all(`DROP TRIGGER IF EXISTS ${sequelize.getQueryInterface().quoteIdentifier(name)}`, [], transaction);
    await sql.all(text, [], transaction);
  });
  return true;
}
