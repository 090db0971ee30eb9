/**
 * The peer's database: the same node-sqlite3 (or `pg` Pool) access as the bench's bare
 * baselines, every statement prepared once (bench/bare/open.ts, loaded from the built bench
 * whose path the bench passes in BENCH_BARE_OPEN), so the peer and the bare server differ
 * in the RPC framework only.
 */
import { pathToFileURL } from 'node:url';

export interface Db {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export const DB = Symbol('DB');

interface BareOpen {
  openBareDbAt(target: string): Promise<Db>;
  isUniqueViolation(err: unknown): boolean;
}

const bare = (await import(pathToFileURL(process.env.BENCH_BARE_OPEN!).href)) as BareOpen;

export async function openDatabase(): Promise<Db> {
  return bare.openBareDbAt(process.env.BENCH_DB!);
}

/** A second like of one product by one user (SQLite's or PostgreSQL's unique violation), as the bare pipeline tells it. */
export const isUniqueViolation = (err: unknown): boolean => bare.isUniqueViolation(err);
