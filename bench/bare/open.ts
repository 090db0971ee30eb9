/**
 * The bare baselines' database from BENCH_DB: a SQLite file path, or a postgres:// URL
 * (the baselines' PostgreSQL variant, `mgrpc bench --database postgres`).
 */
import { openBarePgDb } from './postgres.js';
import { openBareDb, type Db } from './sqlite.js';

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

export function openBareDbAt(target: string): Promise<Db> {
  return isPostgresUrl(target) ? openBarePgDb(target) : openBareDb(target);
}

/** A second like of one product by one user: SQLITE_CONSTRAINT, or PostgreSQL's unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT' || code === '23505';
}
