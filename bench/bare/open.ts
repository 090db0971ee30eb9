/**
 * The bare baselines' database from BENCH_DB: a SQLite file path, or a postgres:// URL
 * (the baselines' PostgreSQL variant, `mgrpc bench --database postgres`).
 */
import { openPgDb } from './postgres.js';
import { openDb, type Db } from './sqlite.js';

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/**
 * The dashboard's products and users tables and the product service's product_users, as
 * their migrations create them; `timestamp` is the dialect's type for Sequelize's DATE.
 * The exactly-once twins (bounds/rest-like-once.ts, grpc-like-server.ts) add an outbox and an inbox
 * of their own, the batched twin (bounds/grpc-like-batched.ts) a change log.
 */
function bareSchema(postgres: boolean): string[] {
  const timestamp = postgres ? 'TIMESTAMPTZ' : 'DATETIME';
  return [
    `CREATE TABLE IF NOT EXISTS users (id UUID PRIMARY KEY NOT NULL, created_at ${timestamp} NOT NULL, updated_at ${timestamp} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS bare_outbox (id ${postgres ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT'}, idempotency_key VARCHAR(255) NOT NULL,
       payload TEXT NOT NULL, created_at ${timestamp} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS bare_inbox (idempotency_key VARCHAR(255) PRIMARY KEY NOT NULL, created_at ${timestamp} NOT NULL)`,
    // The batched twin's change log (bounds/grpc-like-batched.ts), as the framework's mgrpc_changes.
    `CREATE TABLE IF NOT EXISTS bare_changes (seq ${postgres ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT'}, topic VARCHAR(100) NOT NULL,
       key VARCHAR(200) NOT NULL, kind VARCHAR(10) NOT NULL, data TEXT NOT NULL, created_at BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS products (id UUID PRIMARY KEY NOT NULL, title VARCHAR(200) NOT NULL, image VARCHAR(2048),
       likes BIGINT NOT NULL DEFAULT 0, created_at ${timestamp} NOT NULL, updated_at ${timestamp} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS product_users (id UUID PRIMARY KEY NOT NULL, user_id UUID NOT NULL, product_id UUID NOT NULL,
       created_at ${timestamp} NOT NULL, updated_at ${timestamp} NOT NULL)`,
    'CREATE UNIQUE INDEX IF NOT EXISTS product_users_user_id_product_id ON product_users (user_id, product_id)',
    'CREATE INDEX IF NOT EXISTS product_users_product_id ON product_users (product_id)',
  ];
}

/** Opens the baseline's database and creates its tables if missing. */
export async function openBareDbAt(target: string): Promise<Db> {
  const postgres = isPostgresUrl(target);
  const db = postgres ? await openPgDb(target) : await openDb(target);
  for (const statement of bareSchema(postgres)) await db.all(statement);
  return db;
}

/** A second like of one product by one user: SQLITE_CONSTRAINT, or PostgreSQL's unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT' || code === '23505';
}
