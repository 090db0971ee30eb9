/**
 * Framework tests that touch a database run on each dialect: `describe.each(DIALECTS)`,
 * and `testDatabaseUrl(dialect, dir, name)` for a fresh database of that dialect (a SQLite
 * file in the test's temp dir, or a new uniquely named PostgreSQL database; `drop()` removes
 * the latter once its connections are closed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sqliteUrl } from '../../services/framework/db/url.js';
import { createTestDatabase } from './postgres.js';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

export async function testDatabaseUrl(dialect: TestDialect, dir: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { url: sqliteUrl(path.join(dir, name)), drop: async () => undefined };
  const db = await createTestDatabase();
  return { url: db.url, drop: db.drop };
}

/**
 * The databases of one test: `start(dialect)` before it, `url(name)` for each fresh
 * database it needs, `cleanup()` after it (once its connections are closed).
 */
export class TestDatabases {
  private dir = '';
  private dialect: TestDialect = 'sqlite';
  private readonly drops: (() => Promise<void>)[] = [];

  constructor(private readonly prefix: string) {}

  start(dialect: TestDialect): void {
    this.dialect = dialect;
    this.dir = mkdtempSync(path.join(tmpdir(), this.prefix));
  }

  async url(name: string): Promise<string> {
    const db = await testDatabaseUrl(this.dialect, this.dir, name);
    this.drops.push(db.drop);
    return db.url;
  }

  async cleanup(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    await Promise.all(this.drops.splice(0).map((drop) => drop()));
  }
}
