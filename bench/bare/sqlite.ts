/**
 * node-sqlite3 opened the way the framework opens it (services/framework/db/connect.ts):
 * WAL, synchronous=NORMAL, a 5 s busy timeout. The bare baselines and the bench's own
 * reads use it, so the comparison is between request paths, not database settings. Each
 * statement is prepared once and reused.
 */
import sqlite3 from 'sqlite3';

export interface Db {
  /** Runs a statement and returns its rows. `all` for writes too: `get` on a write leaves its statement (and transaction) open. */
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `work` in one transaction (SQLite: BEGIN IMMEDIATE … COMMIT; ROLLBACK when it throws).
   * SQLite has one connection here, so transactions take turns; a plain `all` must not be used
   * on a connection that runs transactions meanwhile (it would land inside one).
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A transaction's statements; `beforeCommit` literal SQL (no parameters) sent with the COMMIT, in one `exec` on SQLite. */
export interface Tx extends Pick<Db, 'all'> {
  beforeCommit(sql: string): void;
}

export async function openDb(file: string): Promise<Db> {
  const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => (err ? reject(err) : resolve(db)));
  });
  raw.configure('busyTimeout', 5000);
  // Every statement prepared once and reused, as a skilled engineer writes a hot path (and
  // as the framework's sqlRunner does): parsing and planning are not paid per request.
  const statements = new Map<string, Promise<sqlite3.Statement>>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = new Promise<sqlite3.Statement>((resolve, reject) => {
        const prepared: sqlite3.Statement = raw.prepare(sql, (err: Error | null) => (err ? reject(err) : resolve(prepared)));
      });
      statement.catch(() => statements.delete(sql));
      statements.set(sql, statement);
    }
    return statement;
  };
  const exec = (sql: string) => new Promise<void>((resolve, reject) => raw.exec(sql, (err: Error | null) => (err ? reject(err) : resolve())));
  let turn: Promise<unknown> = Promise.resolve();
  const db: Db = {
    all: async <T>(sql: string, params: unknown[] = []) => {
      const statement = await prepare(sql);
      // `all` resets the statement when it is done, so a write is committed at once.
      return new Promise<T[]>((resolve, reject) => statement.all(params, (err: Error | null, rows: unknown[]) => (err ? reject(err) : resolve(rows as T[]))));
    },
    transaction: <T>(work: (tx: Tx) => Promise<T>) => {
      const run = turn.then(async () => {
        await exec('BEGIN IMMEDIATE');
        try {
          // exec stops at the first failing statement, so a failed one never reaches the COMMIT.
          const tail: string[] = [];
          const result = await work({ all: db.all, beforeCommit: (sql) => void tail.push(sql) });
          await exec([...tail, 'COMMIT'].join(';\n'));
          return result;
        } catch (err) {
          await exec('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
      turn = run.catch(() => undefined);
      return run;
    },
    close: async () => {
      const prepared = await Promise.allSettled(statements.values());
      for (const result of prepared) if (result.status === 'fulfilled') await new Promise<void>((resolve) => result.value.finalize(() => resolve()));
      await new Promise<void>((resolve, reject) => raw.close((err) => (err ? reject(err) : resolve())));
    },
  };
  await db.all('PRAGMA journal_mode = WAL');
  await db.all('PRAGMA synchronous = NORMAL');
  return db;
}
