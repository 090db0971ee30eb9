/**
 * Opens the Sequelize connection a service runs on, from a DATABASE_URL:
 *   sqlite:data/dashboard.sqlite3   sqlite:///abs/path.sqlite3   sqlite::memory:
 *   postgres://user@host:5432/db    (needs the `pg` package)
 *
 * SQLite is tuned for a server rather than a script: WAL (readers never block the writer,
 * and a killed process loses no committed transaction), a busy timeout on every
 * connection (Sequelize opens one per transaction), and IMMEDIATE transactions so two
 * writers queue on the lock instead of failing with SQLITE_BUSY on upgrade; within one
 * process, transactions are queued (see write-queue.ts).
 */
import path from 'node:path';

import { Sequelize, Transaction } from 'sequelize';
import sqlite3 from 'sqlite3';

import { reuseTransactionConnections } from './connection-reuse.js';
import { finalizeStatements } from './sql.js';
import { queueTransactions } from './write-queue.js';

const SQLITE_BUSY_TIMEOUT_MS = 5000;

// Sequelize's SQLite connection manager runs no afterConnect hook, so per-connection
// settings live in the driver module it is handed.
class TunedDatabase extends sqlite3.Database {
  constructor(filename: string, mode?: number, callback?: (err: Error | null) => void) {
    super(filename, mode ?? sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, callback);
    this.configure('busyTimeout', SQLITE_BUSY_TIMEOUT_MS);
    this.run('PRAGMA synchronous = NORMAL');
  }

  // Prepared statements cached by sql.ts must be finalized first, or SQLite refuses to close.
  override close(callback?: (err: Error | null) => void): this {
    void finalizeStatements(this).then(() => super.close(callback));
    return this;
  }
}
const tunedSqlite3 = { ...sqlite3, Database: TunedDatabase };

export type Dialect = 'sqlite' | 'postgres';

export function sqliteUrl(file: string): string {
  return `sqlite:${file}`;
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`unsupported DATABASE_URL '${redactUrl(url)}': use sqlite:PATH or postgres://USER@HOST:PORT/DB`);
}

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

function sqliteStorage(url: string): string {
  const rest = url.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '') return ':memory:';
  // sqlite:///abs -> /abs ; sqlite://rel -> rel ; sqlite:rel -> rel
  const file = rest.startsWith('///') ? rest.slice(2) : rest.startsWith('//') ? rest.slice(2) : rest;
  return path.resolve(file);
}

export async function openDatabase(url: string): Promise<Sequelize> {
  const dialect = dialectOf(url);
  let sequelize: Sequelize;
  if (dialect === 'sqlite') {
    sequelize = new Sequelize({
      dialect: 'sqlite',
      storage: sqliteStorage(url),
      dialectModule: tunedSqlite3,
      logging: false,
      transactionType: Transaction.TYPES.IMMEDIATE,
    });
    queueTransactions(sequelize);
    if (sqliteStorage(url) !== ':memory:') {
      reuseTransactionConnections(sequelize);
      await sequelize.query('PRAGMA journal_mode = WAL');
    }
  } else {
    sequelize = new Sequelize(url, { dialect: 'postgres', logging: false });
  }
  await sequelize.authenticate();
  return sequelize;
}
