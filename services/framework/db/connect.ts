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
 *
 * PostgreSQL gets a connection pool (MGRPC_DB_POOL_MAX, default 10), a statement timeout
 * (MGRPC_DB_STATEMENT_TIMEOUT_MS, default 30 s; 0 turns it off) and, at start-up, retries
 * with backoff while the server is not answering (MGRPC_DB_CONNECT_RETRY_MS in total,
 * default 30 s): a database that comes up after the service is not a crash loop.
 */

import { setTimeout as sleep } from 'node:timers/promises';

import { Sequelize, Transaction } from 'sequelize';
import sqlite3 from 'sqlite3';

import { envInt } from '../config.js';
import { createLogger, type Logger } from '../logger.js';

import { reuseTransactionConnections } from './connection-reuse.js';
import { dialectOf, redactUrl, sqliteStorage } from './url.js';
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

// node-postgres returns BIGINT (and COUNT(*)) as strings, since they may exceed 2^53;
// ours (counts, ids, epoch milliseconds) never do, and SQLite returns numbers. So, for this
// module only (pg's global parsers stay as they are), safe integers come back as numbers.
const INT8_OID = 20;
const int8 = (value: string): number | string => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
};
// Loaded only for a PostgreSQL URL: a service on SQLite never pays pg's start-up time.
async function tunedPg(): Promise<object> {
  const { default: pg } = await import('pg');
  const pgTypes = Object.create(pg.types, {
    getTypeParser: {
      value: (oid: number, format?: string) => (oid === INT8_OID && format !== 'binary' ? int8 : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format)),
    },
  });
  return Object.create(pg, { types: { value: pgTypes } });
}

export interface DatabaseOptions {
  /** PostgreSQL: most connections the pool opens. */
  poolMax: number;
  /** PostgreSQL: a statement running longer is cancelled (0: no limit). */
  statementTimeoutMs: number;
  /** PostgreSQL: how long start-up keeps retrying an unreachable server, in total (0: try once). */
  connectRetryMs: number;
  /**
   * SQLite: 'create' (default) makes the file and its directory when missing; 'write' and
   * 'read' open an existing file only ('read' also refuses writes), for commands that look
   * at a database and must never leave an empty one behind (`mgrpc outbox`, `mgrpc status`).
   */
  access?: 'create' | 'write' | 'read';
}

/** MGRPC_DB_POOL_MAX, MGRPC_DB_STATEMENT_TIMEOUT_MS, MGRPC_DB_CONNECT_RETRY_MS. */
export function databaseOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseOptions {
  const nonNegative = (name: string, fallback: number) => (env[name] === '0' ? 0 : envInt(name, fallback, env));
  return {
    poolMax: envInt('MGRPC_DB_POOL_MAX', 10, env),
    statementTimeoutMs: nonNegative('MGRPC_DB_STATEMENT_TIMEOUT_MS', 30_000),
    connectRetryMs: nonNegative('MGRPC_DB_CONNECT_RETRY_MS', 30_000),
  };
}

// Errors that say the server is not there (yet): worth waiting for. A wrong password or a
// missing database will not fix itself, so those fail at once.
const TRANSIENT = new Set([
  'SequelizeConnectionRefusedError',
  'SequelizeHostNotReachableError',
  'SequelizeHostNotFoundError',
  'SequelizeConnectionTimedOutError',
]);
function transient(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  if (TRANSIENT.has(e.name ?? '')) return true;
  // 57P03 while PostgreSQL starts or recovers; a dropped socket while it restarts.
  return e.name === 'SequelizeConnectionError' && /starting up|shutting down|recovery|ECONNRESET|terminated unexpectedly/i.test(e.message ?? '');
}

async function connectWithRetry(sequelize: Sequelize, url: string, retryMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + retryMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      await sequelize.authenticate();
      if (attempt > 1) logger.info(`database ${redactUrl(url)} answered after ${attempt} attempts`);
      return;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const left = deadline - Date.now();
      if (!transient(err) || left <= 0) {
        await sequelize.close().catch(() => undefined);
        const waited = transient(err) && retryMs > 0 ? ` (gave up after ${attempt} attempts in ${retryMs} ms: MGRPC_DB_CONNECT_RETRY_MS)` : '';
        throw new Error(`cannot connect to the database ${redactUrl(url)}: ${reason}${waited}`);
      }
      const wait = Math.min(delay, left);
      logger.warn(`database ${redactUrl(url)} is not answering (${reason}); attempt ${attempt}, retrying in ${wait} ms`);
      await sleep(wait);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

export async function openDatabase(url: string, options: DatabaseOptions = databaseOptionsFromEnv(), logger: Logger = createLogger('db')): Promise<Sequelize> {
  const dialect = dialectOf(url);
  let sequelize: Sequelize;
  if (dialect === 'sqlite') {
    const access = options.access ?? 'create';
    const mode = { create: sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, write: sqlite3.OPEN_READWRITE, read: sqlite3.OPEN_READONLY }[access];
    sequelize = new Sequelize({
      dialect: 'sqlite',
      storage: sqliteStorage(url),
      dialectModule: tunedSqlite3,
      dialectOptions: { mode },
      logging: false,
      transactionType: Transaction.TYPES.IMMEDIATE,
    });
    queueTransactions(sequelize);
    if (sqliteStorage(url) !== ':memory:') {
      reuseTransactionConnections(sequelize);
      // Setting WAL writes the header; a reader takes the mode the file has.
      if (access !== 'read') await sequelize.query('PRAGMA journal_mode = WAL');
    }
    await sequelize.authenticate();
    return sequelize;
  }
  sequelize = new Sequelize(url, {
    dialect: 'postgres',
    dialectModule: await tunedPg(),
    logging: false,
    pool: { max: options.poolMax, min: 0, idle: 10_000, acquire: 60_000 },
    dialectOptions: options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {},
  });
  await connectWithRetry(sequelize, url, options.connectRetryMs, logger);
  return sequelize;
}
