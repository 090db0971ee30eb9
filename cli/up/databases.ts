/**
 * `mgrpc up --database postgres://USER@HOST:PORT/`: one PostgreSQL server, one database per
 * service on it (`mgrpc_dashboard`, `mgrpc_product`), created when missing, because services
 * never share a database.
 */
import { Sequelize } from 'sequelize';

import { UsageError } from '../handle-error.js';

/** The name of a service's database on the server given to `--database`. */
export function databaseNameFor(service: string): string {
  return `mgrpc_${service.replace(/-/g, '_')}`;
}

function parseServerUrl(serverUrl: string): URL {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new UsageError(`--database expects a PostgreSQL server URL such as postgres://USER:PASSWORD@HOST:5432/, not '${serverUrl}'`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`--database expects a postgres:// server URL (SQLite is the default without it), not a ${url.protocol.replace(/:$/, '')} URL`);
  }
  if (url.pathname !== '' && url.pathname !== '/') {
    throw new UsageError(
      `--database takes the server, not a database (${url.pathname.slice(1)}): give postgres://USER@HOST:PORT/ and mgrpc up uses one database per service there (mgrpc_dashboard, mgrpc_product)`,
    );
  }
  return url;
}

/** The URL of `service`'s own database on the server `serverUrl` (its query string kept). */
export function serviceDatabaseUrl(serverUrl: string, service: string): string {
  const url = parseServerUrl(serverUrl);
  url.pathname = `/${databaseNameFor(service)}`;
  return url.toString();
}

/**
 * Creates `service`'s database on the server unless it exists. Connects to the server's
 * `postgres` maintenance database; a concurrent creator (42P04) counts as existing.
 * Resolves true when it created the database.
 */
export async function ensureServiceDatabase(serverUrl: string, service: string): Promise<boolean> {
  const url = parseServerUrl(serverUrl);
  url.pathname = '/postgres';
  const name = databaseNameFor(service);
  const sequelize = new Sequelize(url.toString(), { logging: false, pool: { max: 1 } });
  try {
    const [rows] = await sequelize.query('SELECT 1 FROM pg_database WHERE datname = $1', { bind: [name] });
    if (rows.length > 0) return false;
    try {
      // A name cannot be a bind parameter; databaseNameFor yields [a-z0-9_] from service names.
      await sequelize.query(`CREATE DATABASE "${name}"`);
      return true;
    } catch (err) {
      if ((err as { original?: { code?: string } }).original?.code === '42P04') return false;
      throw err;
    }
  } finally {
    await sequelize.close();
  }
}
