/**
 * Framework tests that touch a database run on each dialect: `describe.each(DIALECTS)`,
 * and `testDatabaseUrl(dialect, dir, name)` for a fresh database of that dialect (a SQLite
 * file in the test's temp dir, or a new uniquely named PostgreSQL database; `drop()` removes
 * the latter once its connections are closed).
 */
import path from 'node:path';

import { sqliteUrl } from '../db/connect.js';
import { createTestDatabase } from './postgres.js';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

export async function testDatabaseUrl(dialect: TestDialect, dir: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { url: sqliteUrl(path.join(dir, name)), drop: async () => undefined };
  const db = await createTestDatabase();
  return { url: db.url, drop: db.drop };
}
