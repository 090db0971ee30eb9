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

export async function openDatabase(): Promise<Db> {
  const { openBareDbAt } = (await import(pathToFileURL(process.env.BENCH_BARE_OPEN!).href)) as { openBareDbAt(target: string): Promise<Db> };
  return openBareDbAt(process.env.BENCH_DB!);
}
