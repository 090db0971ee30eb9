/**
 * Throw-away PostgreSQL databases for tests: each one is created under a unique name
 * (`mgrpc_test_<pid>_<random>`) on the server at MGRPC_TEST_POSTGRES_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres, trust auth), and dropped afterwards with its
 * connections, so parallel runs never see each other's data. PostgreSQL not answering is
 * a test failure with a message saying so (CI starts it: .ci/run), never a silent skip.
 *
 * @example
 *   const db = await createTestDatabase();
 *   const sequelize = await openDatabase(db.url);
 *   …
 *   await sequelize.close();
 *   await db.drop();
 */
import { randomBytes } from 'node:crypto';

import pg, { type Client } from 'pg';

import { redactUrl } from '../../services/framework/db/url.js';

export const TEST_POSTGRES_URL = process.env.MGRPC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  /** postgres://…/<name>, for DATABASE_URL or openDatabase. */
  url: string;
  /** Drops the database, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL tests need a server at ${redactUrl(TEST_POSTGRES_URL)} (set MGRPC_TEST_POSTGRES_URL, or start it: ` +
        `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): ${(err as Error).message}`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh, empty database and returns its URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `mgrpc_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () => (dropped ??= admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))),
  };
}
