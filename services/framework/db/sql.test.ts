/**
 * The hot-path SQL runner on a real SQLite file: statements are prepared once per
 * connection, and a failure to prepare reaches the caller instead of the process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openDatabase } from './connect.js';
import { sqliteUrl } from './url.js';
import { sqlRunner } from './sql.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-sql-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlRunner on SQLite', () => {
  it('a statement prepared while its connection is closing fails its callers, not the process (no uncaught error, no hang)', async () => {
    const db = await openDatabase(sqliteUrl(path.join(dir, 'closing.sqlite3')));
    const sql = sqlRunner(db);
    // The connection the runner uses outside transactions (Sequelize's default one).
    const manager = (db as unknown as { connectionManager: { getConnection(options: object): Promise<sqlite3.Database> } }).connectionManager;
    const connection = await manager.getConnection({});
    // Closing starts (as at shutdown, while a relay still polls); two callers then use a statement not prepared yet.
    const closed = new Promise<void>((resolve) => sqlite3.Database.prototype.close.call(connection, () => resolve()));
    const calls = [sql.all('SELECT 1 AS one'), sql.all('SELECT 1 AS one')];
    for (const call of calls) await expect(call).rejects.toThrow(/SQLITE_MISUSE/);
    await closed;
  });

  it('a call made while Sequelize closes the database fails at once, and the close still succeeds', async () => {
    const db = await openDatabase(sqliteUrl(path.join(dir, 'shutdown.sqlite3')));
    const sql = sqlRunner(db);
    expect(await sql.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    const closed = db.close();
    // Statements are being finalized: a statement prepared now would keep SQLite from closing.
    await expect(sql.all('SELECT 2 AS two')).rejects.toThrow(/closing|SQLITE_MISUSE/);
    await expect(closed).resolves.toBeUndefined();
  });

  it('runs statements with parameters and returns their rows', async () => {
    const db = await openDatabase(sqliteUrl(path.join(dir, 'rows.sqlite3')));
    try {
      const sql = sqlRunner(db);
      await sql.all('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
      expect(await sql.all('INSERT INTO t (name) VALUES (?), (?) RETURNING id, name', ['a', 'b'])).toEqual([
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ]);
      expect(await sql.all('SELECT name FROM t WHERE id = ?', [2])).toEqual([{ name: 'b' }]);
    } finally {
      await db.close();
    }
  });
});
