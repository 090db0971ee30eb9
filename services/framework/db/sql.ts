/**
 * Hot-path SQL without the ORM: `sql.all(text, params, transaction?)` runs one statement
 * and returns its rows. On SQLite it goes straight to node-sqlite3 with a prepared
 * statement cached per connection (inside a transaction, on that transaction's
 * connection); elsewhere it is Sequelize's query with bind parameters. Write the SQL with
 * `?` placeholders, in the dialect-neutral subset (RETURNING, ON CONFLICT …).
 *
 * Sequelize spends more CPU preparing and post-processing a query than SQLite spends
 * running a one-row UPDATE, so the statements every like or delivery runs use this.
 * `all` (never `get`) also guarantees the statement is reset, so its write is committed.
 *
 * @example
 *   const sql = sqlRunner(sequelize);
 *   const [row] = await sql.all('UPDATE products SET likes = likes + 1 WHERE id = ? RETURNING likes', [id], t);
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type sqlite3 from 'sqlite3';

export type SqlValue = string | number | bigint | boolean | null;
export type Row = Record<string, unknown>;

export interface SqlRunner {
  all<T extends object = Row>(sql: string, params?: readonly SqlValue[], transaction?: Transaction): Promise<T[]>;
}

interface ConnectionManager {
  getConnection(options?: object): Promise<sqlite3.Database>;
}

interface CachedStatement {
  statement: sqlite3.Statement;
  /** Calls made on it before it was known to be prepared: failed here if preparing fails. */
  waiting: Set<(err: Error) => void> | undefined;
}

const statements = new WeakMap<sqlite3.Database, Map<string, CachedStatement>>();
/** Connections whose statements were finalized for closing: nothing new is prepared on them. */
const closing = new WeakSet<sqlite3.Database>();

function prepared(connection: sqlite3.Database, text: string): CachedStatement {
  // A statement prepared after the others were finalized would keep SQLite from closing.
  if (closing.has(connection)) throw new Error('SQLITE_MISUSE: the database connection is closing');
  let cache = statements.get(connection);
  if (!cache) statements.set(connection, (cache = new Map()));
  let entry = cache.get(text);
  if (!entry) {
    const waiting = new Set<(err: Error) => void>();
    const created: CachedStatement = { statement: undefined as unknown as sqlite3.Statement, waiting };
    // Prepared with a callback: without one, a prepare that fails (the connection was being
    // closed, e.g. at shutdown) is emitted as an 'error' event nobody listens to, an
    // uncaught exception. node-sqlite3 never answers the calls queued on such a statement,
    // so they are failed here.
    created.statement = connection.prepare(text, (err: Error | null) => {
      created.waiting = undefined;
      if (!err) return;
      cache.delete(text);
      for (const fail of waiting) fail(err);
    });
    cache.set(text, created);
    entry = created;
  }
  return entry;
}

/** Finalizes the statements cached for a connection that is being closed (SQLite refuses to close a connection that has some). */
export function finalizeStatements(connection: sqlite3.Database): Promise<void> {
  closing.add(connection);
  const cache = statements.get(connection);
  statements.delete(connection);
  if (!cache) return Promise.resolve();
  return Promise.all([...cache.values()].map(({ statement }) => new Promise<void>((resolve) => statement.finalize(() => resolve())))).then(() => undefined);
}

/**
 * Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT, …) on a connection. Not a
 * cached prepared statement: node-sqlite3's `run` leaves it un-reset, and a re-run BEGIN
 * IMMEDIATE left that way was seen stalling the transaction's next statement on another
 * connection's busy wait. `exec` prepares, runs and finalizes it, and has the connection
 * to itself meanwhile.
 */
export function execControl(connection: sqlite3.Database, text: string): Promise<void> {
  return new Promise((resolve, reject) => connection.exec(text, (err: Error | null) => (err ? reject(err) : resolve())));
}

function sqliteRunner(sequelize: Sequelize): SqlRunner {
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  let fallback: Promise<sqlite3.Database> | undefined;
  const allOn = <T extends object>(connection: sqlite3.Database, text: string, params: readonly SqlValue[]): Promise<T[]> =>
    new Promise<T[]>((resolve, reject) => {
      const values = params.map((v) => (typeof v === 'boolean' ? Number(v) : v));
      const entry = prepared(connection, text);
      entry.waiting?.add(reject);
      entry.statement.all(values, (err: Error | null, rows: T[]) => {
        entry.waiting?.delete(reject);
        if (err) reject(translateSqliteError(err));
        else resolve(rows);
      });
    });
  return {
    // Not an async function: in a transaction (every statement of a write) the statement's own
    // promise is the only one made (on Node 20 every promise runs AsyncLocalStorage's hooks).
    all<T extends object>(text: string, params: readonly SqlValue[] = [], transaction?: Transaction): Promise<T[]> {
      if (transaction) return allOn<T>((transaction as unknown as { connection: sqlite3.Database }).connection, text, params);
      return (fallback ??= manager.getConnection({})).then((connection) => allOn<T>(connection, text, params));
    },
  };
}

/** Unique violations keep their meaning (Sequelize would raise UniqueConstraintError). */
export class UniqueViolation extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
    this.name = 'UniqueViolation';
  }
}

function translateSqliteError(err: Error & { code?: string }): Error {
  return err.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/.test(err.message) ? new UniqueViolation(err) : err;
}

function sequelizeRunner(sequelize: Sequelize): SqlRunner {
  return {
    async all<T extends object>(text: string, params: readonly SqlValue[] = [], transaction?: Transaction): Promise<T[]> {
      let n = 0;
      const bound = text.replace(/\?/g, () => `$${++n}`);
      return sequelize.query<T>(bound, { bind: [...params], type: QueryTypes.SELECT, transaction }).catch((err: Error) => {
        throw err.name === 'SequelizeUniqueConstraintError' ? new UniqueViolation(err) : err;
      }) as Promise<T[]>;
    },
  };
}

/**
 * Placeholders for `rows` tuples of `columns` values, for multi-row statements:
 * `sqlTuples(2, 3)` is `(?, ?, ?), (?, ?, ?)`; `sqlTuples(3)` is `?, ?, ?` (an IN list).
 * One statement per batch instead of one per row is where batching pays on SQLite, whose
 * every statement is a round trip through libuv's thread pool.
 */
export function sqlTuples(rows: number, columns = 1): string {
  const one = columns === 1 ? '?' : `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(one).join(', ');
}

/**
 * A value as an SQLite literal, for the few statements sent as text with no parameters
 * (write-queue.ts deferToCommit): a string in single quotes with each quote doubled (SQLite
 * strings have no other escapes), a finite number as written. Anything else is refused.
 */
export function sqliteLiteral(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`sqliteLiteral: ${value} is not a finite number`);
    return String(value);
  }
  // exec takes a C string: a NUL would cut the statement short.
  if (value.includes('\0')) throw new Error('sqliteLiteral: a string with a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

/** Splits a list for multi-row statements, so a few statement shapes are prepared however long it is. */
export function chunks<T>(items: readonly T[], size = 64): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A timestamp as Sequelize stores DATE columns: its SQLite text form, or ISO 8601 elsewhere. */
export function sqlTimestamp(sequelize: Sequelize, date: Date): string {
  const iso = date.toISOString();
  return sequelize.getDialect() === 'sqlite' ? `${iso.slice(0, 10)} ${iso.slice(11, 23)} +00:00` : iso;
}

const runners = new WeakMap<Sequelize, SqlRunner>();

export function sqlRunner(sequelize: Sequelize): SqlRunner {
  let runner = runners.get(sequelize);
  if (!runner) {
    runner = sequelize.getDialect() === 'sqlite' ? sqliteRunner(sequelize) : sequelizeRunner(sequelize);
    runners.set(sequelize, runner);
  }
  return runner;
}
