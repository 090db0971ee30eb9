/**
 * node-postgres for the bench: a Pool of MGRPC_DB_POOL_MAX connections (default 10), the
 * size each framework process's pool has (services/framework/db/connect.ts), so the bare
 * baselines on PostgreSQL are tuned like ours. The bench's own checks use it too.
 * Statements are written with `?` placeholders, as for SQLite, numbered here, and prepared
 * (named) once per connection.
 */
import pg from 'pg';

import type { Db, Tx } from './sqlite.js';

/** `a = ? AND b = ?` -> `a = $1 AND b = $2` (the bench's statements hold no `?` in literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function poolMaxFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.MGRPC_DB_POOL_MAX ?? 10);
  return Number.isInteger(value) && value > 0 ? value : 10;
}

export async function openPgDb(url: string, max = poolMaxFromEnv()): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // Named statements: each connection of the pool prepares one once and reuses it.
  const cache = new Map<string, { name: string; text: string }>();
  const named = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) cache.set(sql, (statement = { name: `bench_${cache.size}`, text: numbered(sql) }));
    return statement;
  };
  const db: Db = {
    all: async <T>(sql: string, params: unknown[] = []) => (await pool.query({ ...named(sql), values: params })).rows as T[],
    transaction: async <T>(work: (tx: Tx) => Promise<T>) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tail: string[] = [];
        const result = await work({
          all: async <R>(sql: string, params: unknown[] = []) => (await client.query({ ...named(sql), values: params })).rows as R[],
          beforeCommit: (sql) => void tail.push(sql),
        });
        for (const sql of tail) await client.query(sql);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  await db.all('SELECT 1');
  return db;
}
