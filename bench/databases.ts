/**
 * Where a bench run keeps its data: SQLite files in the run's temp dir (the default), or
 * fresh PostgreSQL databases (`--database postgres[://…]`), one per service and per bare
 * baseline, each uniquely named (`mgrpc_bench_<pid>_<random>_<role>`) and dropped when the
 * run ends — failed or interrupted too, best effort.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { redactUrl } from '../services/framework/db/url.js';

export const DEFAULT_POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432/';

export type BenchDatabase = { dialect: 'sqlite' } | { dialect: 'postgres'; server: string };

/** `sqlite`, `postgres` (the local server) or a postgres:// server URL; undefined for anything else. */
export function parseBenchDatabase(value: string): BenchDatabase | undefined {
  const v = value.trim();
  if (v === 'sqlite') return { dialect: 'sqlite' };
  if (v === 'postgres' || v === 'postgresql') return { dialect: 'postgres', server: DEFAULT_POSTGRES_SERVER };
  if (/^postgres(ql)?:\/\/[^/]/.test(v)) {
    try {
      new URL(v);
      return { dialect: 'postgres', server: v };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** For the results: the server URL without its password. */
export function redactedChoice(choice: BenchDatabase = { dialect: 'sqlite' }): BenchDatabase {
  return choice.dialect === 'sqlite' ? choice : { dialect: 'postgres', server: redactUrl(choice.server) };
}

/** bare_one_trip: the one-trip bound's own database (its trigger must not see the other bare sides' likes). */
export type Role = 'dashboard' | 'product' | 'bare_dashboard' | 'bare_product' | 'bare_one_trip';
const ROLES: Role[] = ['dashboard', 'product', 'bare_dashboard', 'bare_product', 'bare_one_trip'];

export interface BenchDatabases {
  dialect: 'sqlite' | 'postgres';
  /** The servers' DATABASE_URLs (the framework) or BENCH_DB (the bare baselines): a file or a postgres:// URL. */
  location: Record<Role, string>;
  /** Drops what was created (PostgreSQL); safe to call more than once. */
  drop(): Promise<void>;
}

/** The server URL pointed at its maintenance database (the URL's own, or `postgres`), where CREATE/DROP DATABASE run. */
function adminUrl(server: string): string {
  const url = new URL(server);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/postgres';
  return url.toString();
}

async function onServer(server: string, statements: string[], done: (statement: string) => void = () => undefined): Promise<void> {
  // Loaded here, not at the top: the CLI imports this module to parse --database, and every
  // server process runs the CLI.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl(server), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`the PostgreSQL bench needs a server at ${redactUrl(server)} (--database URL picks another): ${(err as Error).message}`);
  }
  try {
    for (const statement of statements) {
      await client.query(statement);
      done(statement);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createBenchDatabases(choice: BenchDatabase, dir: string): Promise<BenchDatabases> {
  if (choice.dialect === 'sqlite') {
    return {
      dialect: 'sqlite',
      location: {
        dashboard: path.join(dir, 'dashboard.sqlite3'),
        product: path.join(dir, 'product.sqlite3'),
        bare_dashboard: path.join(dir, 'bare-dashboard.sqlite3'),
        bare_product: path.join(dir, 'bare-product.sqlite3'),
        bare_one_trip: path.join(dir, 'bare-one-trip.sqlite3'),
      },
      drop: async () => undefined,
    };
  }
  const prefix = `mgrpc_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const names = Object.fromEntries(ROLES.map((role) => [role, `${prefix}_${role}`])) as Record<Role, string>;
  const created: string[] = [];
  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= created.length === 0 ? Promise.resolve() : onServer(choice.server, created.map((name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  try {
    await onServer(
      choice.server,
      ROLES.map((role) => `CREATE DATABASE ${names[role]}`),
      (statement) => created.push(statement.slice('CREATE DATABASE '.length)),
    );
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  const urlOf = (name: string) => {
    const url = new URL(choice.server);
    url.pathname = `/${name}`;
    return url.toString();
  };
  return { dialect: 'postgres', location: Object.fromEntries(ROLES.map((role) => [role, urlOf(names[role])])) as Record<Role, string>, drop };
}
