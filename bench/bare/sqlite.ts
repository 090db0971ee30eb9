/**
 * node-sqlite3 opened the way the framework opens it (services/framework/db/connect.ts):
 * WAL, synchronous=NORMAL, a 5 s busy timeout. The bare baselines and the bench's own
 * reads use it, so the comparison is between request paths, not database settings.
 */
import sqlite3 from 'sqlite3';

export interface Db {
  /** Runs a statement and returns its rows. `all` for writes too: `get` on a write leaves its statement (and transaction) open. */
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function openDb(file: string): Promise<Db> {
  const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => (err ? reject(err) : resolve(db)));
  });
  raw.configure('busyTimeout', 5000);
  const db: Db = {
    all: <T>(sql: string, params: unknown[] = []) =>
      new Promise<T[]>((resolve, reject) => raw.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[])))),
    close: () => new Promise<void>((resolve, reject) => raw.close((err) => (err ? reject(err) : resolve()))),
  };
  await db.all('PRAGMA journal_mode = WAL');
  await db.all('PRAGMA synchronous = NORMAL');
  return db;
}
