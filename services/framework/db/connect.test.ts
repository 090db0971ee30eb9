/**
 * openDatabase on PostgreSQL (the server on 127.0.0.1:5432, a fresh database per test):
 * pool size and statement timeout take effect, a server that is not answering yet is
 * retried with backoff and one readable line per attempt, and one that never answers (or
 * a database that does not exist) is one clear error naming the redacted URL.
 */
import net from 'node:net';

import type { Sequelize } from 'sequelize';
import { afterEach, describe, expect, it } from 'vitest';

import { freePort } from '../server-process.js';
import type { Logger } from '../logger.js';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../../test/support/postgres.js';
import { databaseOptionsFromEnv, openDatabase, type DatabaseOptions } from './connect.js';

const opened: Sequelize[] = [];
const databases: TestDatabase[] = [];
const closers: (() => void)[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
  await Promise.all(databases.splice(0).map((db) => db.drop()));
  for (const close of closers.splice(0)) close();
});

function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  const logger: Logger = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), enabled: () => true, child: () => logger };
  return Object.assign(logger, { lines });
}

const options = (overrides: Partial<DatabaseOptions> = {}): DatabaseOptions => ({ poolMax: 10, statementTimeoutMs: 30_000, connectRetryMs: 0, ...overrides });

async function fresh(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

/** A URL of the test server's database reached through host:port instead of 127.0.0.1:5432. */
function via(db: TestDatabase, port: number, password?: string): string {
  const url = new URL(db.url);
  url.port = String(port);
  if (password) url.password = password;
  return url.toString();
}

/** A TCP relay to the PostgreSQL server, listening on `port`. */
function startRelay(port: number): Promise<void> {
  const target = new URL(TEST_POSTGRES_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}

describe('openDatabase on PostgreSQL', () => {
  it('never opens more connections than MGRPC_DB_POOL_MAX', async () => {
    const db = await fresh();
    const sequelize = await openDatabase(db.url, options({ poolMax: 3 }), captureLogger());
    opened.push(sequelize);
    const rows = await Promise.all(
      Array.from({ length: 9 }, () => sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)', { type: 'SELECT' as never })),
    );
    const pids = new Set(rows.map(([row]) => row.pid));
    expect(pids.size).toBeGreaterThan(0);
    expect(pids.size).toBeLessThanOrEqual(3);
  });

  it('cancels a statement that runs longer than MGRPC_DB_STATEMENT_TIMEOUT_MS', async () => {
    const db = await fresh();
    const sequelize = await openDatabase(db.url, options({ statementTimeoutMs: 100 }), captureLogger());
    opened.push(sequelize);
    await expect(sequelize.query('SELECT pg_sleep(3)')).rejects.toThrow(/statement timeout/);
    await expect(sequelize.query('SELECT 1 AS one')).resolves.toBeDefined();
  });

  it('retries a server that is not answering yet, one line per attempt, and connects once it answers', async () => {
    const db = await fresh();
    const port = await freePort();
    const logger = captureLogger();
    setTimeout(() => void startRelay(port), 700);
    const sequelize = await openDatabase(via(db, port, 'hunter2'), options({ connectRetryMs: 10_000 }), logger);
    opened.push(sequelize);
    const warnings = logger.lines.filter((line) => line.startsWith('warn'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    for (const line of warnings) {
      expect(line).toMatch(/^warn database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/mgrpc_test_\w+ is not answering \(.*ECONNREFUSED.*\); attempt \d+, retrying in \d+ ms$/);
      expect(line).not.toContain('hunter2');
    }
    expect(logger.lines.at(-1)).toMatch(/^info database .* answered after \d+ attempts$/);
  });

  it('gives up after MGRPC_DB_CONNECT_RETRY_MS with one clear error naming the redacted URL', async () => {
    const port = await freePort();
    const logger = captureLogger();
    const url = `postgres://app:hunter2@127.0.0.1:${port}/nowhere`;
    const error = await openDatabase(url, options({ connectRetryMs: 600 }), logger).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(
      new RegExp(`^cannot connect to the database postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/nowhere: .*ECONNREFUSED.* \\(gave up after \\d+ attempts in 600 ms: MGRPC_DB_CONNECT_RETRY_MS\\)$`),
    );
    expect(logger.lines.length).toBeGreaterThanOrEqual(2);
    expect(logger.lines.join('\n')).not.toMatch(/hunter2|\n\s+at /);
  });

  it('fails at once, without retrying, for a database that does not exist', async () => {
    const logger = captureLogger();
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = '/mgrpc_no_such_database';
    await expect(openDatabase(url.toString(), options({ connectRetryMs: 30_000 }), logger)).rejects.toThrow(
      /^cannot connect to the database postgres:\/\/.*\/mgrpc_no_such_database: database "mgrpc_no_such_database" does not exist$/,
    );
    expect(logger.lines).toEqual([]);
  });
});

describe('databaseOptionsFromEnv', () => {
  it('has defaults, reads the variables, accepts 0 for no timeout / no retry, refuses bad values', () => {
    expect(databaseOptionsFromEnv({})).toEqual({ poolMax: 10, statementTimeoutMs: 30_000, connectRetryMs: 30_000 });
    expect(databaseOptionsFromEnv({ MGRPC_DB_POOL_MAX: '4', MGRPC_DB_STATEMENT_TIMEOUT_MS: '0', MGRPC_DB_CONNECT_RETRY_MS: '0' })).toEqual({
      poolMax: 4,
      statementTimeoutMs: 0,
      connectRetryMs: 0,
    });
    expect(() => databaseOptionsFromEnv({ MGRPC_DB_POOL_MAX: '0' })).toThrow("MGRPC_DB_POOL_MAX must be a positive integer, got '0'");
    expect(() => databaseOptionsFromEnv({ MGRPC_DB_STATEMENT_TIMEOUT_MS: '5s' })).toThrow("MGRPC_DB_STATEMENT_TIMEOUT_MS must be a positive integer, got '5s'");
  });
});
