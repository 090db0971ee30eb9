/**
 * SQLite cannot alter a column in place, so Sequelize's `changeColumn` and `removeColumn`
 * rebuild the table (copy, drop, create, copy back) from `describeTable`. Three things go
 * wrong there: the table's indexes are dropped with it and not made again; `describeTable`
 * calls a column unique when it is part of ANY unique index, so a column of a two-column
 * unique index comes back unique on its own; and it strips every quote from defaults
 * ('it''s' comes back as its, 0 as '0'). The query interface migrations get on SQLite does
 * the same rebuild, but keeps only the columns' own UNIQUE constraints, the defaults as
 * SQLite has them, and then recreates the indexes (those on a removed column go with it, as
 * PostgreSQL does) and the table's triggers (the change log's counter trigger,
 * watch/counter-log.ts: dropped with the table, likes would be counted unlogged until the
 * servers restarted; one that names a removed column goes with it, and the servers' next
 * start makes their own again). `changeColumn` replaces the column's type, nullability and default, as
 * it does on PostgreSQL (a default not given is dropped).
 */
import { QueryTypes, type QueryInterface, type Sequelize } from 'sequelize';

interface Options {
  transaction?: unknown;
}

interface SqliteIndex {
  name: string;
  origin: string;
  fields: { attribute: string }[];
}

type Fields = Record<string, Record<string, unknown>>;

interface Internals {
  normalizeAttribute(attribute: unknown): Record<string, unknown>;
  queryGenerator: { removeColumnQuery(table: string, fields: Fields): string };
}

async function rebuild(sequelize: Sequelize, table: string, options: Options | undefined, edit: (fields: Fields) => void, removed?: string): Promise<void> {
  const qi = sequelize.getQueryInterface();
  const internals = qi as unknown as Internals;
  const opts = { ...options } as object;
  const made = await sequelize.query<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", {
    ...opts,
    replacements: [table],
    type: QueryTypes.SELECT,
  });
  const triggers = await sequelize.query<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", {
    ...opts,
    replacements: [table],
    type: QueryTypes.SELECT,
  });
  const indexes = (await qi.showIndex(table, opts)) as unknown as SqliteIndex[];
  const fields = (await qi.describeTable(table, opts)) as unknown as Fields;
  const info = await sequelize.query<{ name: string; dflt_value: string | null }>(`PRAGMA table_info(\`${table}\`)`, { ...opts, type: QueryTypes.SELECT });
  for (const column of info) fields[column.name]!.defaultValue = column.dflt_value === null ? undefined : sequelize.literal(column.dflt_value);
  const ownUnique = new Set(indexes.filter((i) => i.origin === 'u' && i.fields.length === 1).map((i) => i.fields[0]!.attribute));
  for (const [name, field] of Object.entries(fields)) field.unique = ownUnique.has(name);
  edit(fields);
  // Split on the semicolons between statements, not those inside a quoted default ('a;b').
  for (const statement of internals.queryGenerator.removeColumnQuery(table, fields).split(/;(?=(?:[^']*'[^']*')*[^']*$)/).filter((q) => q.trim() !== '')) {
    await sequelize.query(`${statement};`, { ...opts, raw: true });
  }
  for (const index of made) {
    const columns = indexes.find((i) => i.name === index.name)?.fields.map((f) => f.attribute) ?? [];
    if (removed !== undefined && columns.includes(removed)) continue;
    await sequelize.query(index.sql, { ...opts, raw: true });
  }
  const names = (column: string) => new RegExp(`(^|[^A-Za-z0-9_])${column.replace(/[^A-Za-z0-9_]/g, '\\$&')}($|[^A-Za-z0-9_])`);
  for (const trigger of triggers) {
    if (removed !== undefined && names(removed).test(trigger.sql)) continue;
    await sequelize.query(trigger.sql, { ...opts, raw: true });
  }
}

/** The query interface of a SQLite database, with table rebuilds that keep indexes and uniqueness. */
export function sqliteQueryInterface(sequelize: Sequelize): QueryInterface {
  const qi = sequelize.getQueryInterface();
  const internals = qi as unknown as Internals;
  return Object.create(qi, {
    removeColumn: {
      value: (table: string, column: string, options?: Options) =>
        rebuild(sequelize, table, options, (fields) => {
          if (!(column in fields)) throw new Error(`table ${table} has no column ${column}`);
          delete fields[column];
        }, column),
    },
    changeColumn: {
      value: (table: string, column: string, attribute: unknown, options?: Options) =>
        rebuild(sequelize, table, options, (fields) => {
          if (!(column in fields)) throw new Error(`table ${table} has no column ${column}`);
          const { primaryKey, autoIncrement, unique } = fields[column]!;
          fields[column] = { primaryKey, autoIncrement, unique, ...internals.normalizeAttribute(attribute) };
        }),
    },
  }) as QueryInterface;
}
