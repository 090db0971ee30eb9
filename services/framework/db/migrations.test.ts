/**
 * Migrations and connections on real SQLite files in a temp dir.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { QueryTypes, type Sequelize } from 'sequelize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { dialectOf, migrate, migrateService, openDatabase, pendingMigrations, redactUrl, sqliteUrl, type Migration } from '../index.js';
import { bookMigrations } from '../../../test/support/book.js';
import { libraryModule } from '../../../test/support/library.js';
import { runScript } from '../../../test/support/loaded-packages.js';

let dir: string;
let sequelize: Sequelize | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-migrations-'));
});

afterEach(async () => {
  await sequelize?.close();
  sequelize = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function open(file = 'library.sqlite3'): Promise<Sequelize> {
  sequelize = await openDatabase(sqliteUrl(path.join(dir, file)));
  return sequelize;
}

async function tables(db: Sequelize): Promise<string[]> {
  const rows = await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", {
    type: QueryTypes.SELECT,
  });
  return rows.map((r) => r.name);
}

const addSubtitle: Migration = {
  name: '0002-subtitle',
  async up({ queryInterface, DataTypes }) {
    await queryInterface.addColumn('books', 'subtitle', { type: DataTypes.STRING(200), allowNull: true });
  },
};

describe('migrations', () => {
  it('pending, then applied, then nothing pending', async () => {
    const db = await open();
    expect(await pendingMigrations(db, bookMigrations)).toEqual(['0001-books']);
    expect(await migrate(db, bookMigrations)).toEqual(['0001-books']);
    expect(await pendingMigrations(db, bookMigrations)).toEqual([]);
    expect(await migrate(db, bookMigrations)).toEqual([]);
    expect(await tables(db)).toEqual(['books', 'mgrpc_migrations']);
    expect(await db.query('SELECT name FROM mgrpc_migrations', { type: QueryTypes.SELECT })).toEqual([{ name: '0001-books' }]);
  });

  it('an appended migration is the only one pending, and is applied on its own', async () => {
    const db = await open();
    await migrate(db, bookMigrations);
    const all = [...bookMigrations, addSubtitle];
    expect(await pendingMigrations(db, all)).toEqual(['0002-subtitle']);
    expect(await migrate(db, all)).toEqual(['0002-subtitle']);
    const columns = await db.getQueryInterface().describeTable('books');
    expect(Object.keys(columns)).toContain('subtitle');
  });

  it('applies several in order', async () => {
    const db = await open();
    const order: string[] = [];
    const step = (name: string): Migration => ({ name, up: async () => void order.push(name) });
    expect(await migrate(db, [step('0001-a'), step('0002-b'), step('0003-c')])).toEqual(['0001-a', '0002-b', '0003-c']);
    expect(order).toEqual(['0001-a', '0002-b', '0003-c']);
  });

  it('the start-up check only reads: a database never migrated is left empty', async () => {
    const db = await open();
    expect(await pendingMigrations(db, bookMigrations)).toEqual(['0001-books']);
    expect(await tables(db)).toEqual([]);
  });

  it('a SQLite service checks its migrations without loading umzug or pg (start-up time), and loads umzug to migrate', () => {
    // A fresh node process on the built CLI and framework, as a server starts: what it loaded shows in require's cache.
    const dist = path.resolve(import.meta.dirname, '../../../dist');
    const framework = path.join(dist, 'services/framework/index.js');
    const out = runScript(`
      await import(${JSON.stringify(path.join(dist, 'cli/main.js'))});
      const { openDatabase, pendingMigrations, migrate, sqliteUrl } = await import(${JSON.stringify(framework)});
      const migrations = [{ name: '0001-t', up: ({ queryInterface, DataTypes }) => queryInterface.createTable('t', { id: { type: DataTypes.INTEGER, primaryKey: true } }) }];
      const loaded = () => loadedPackages().filter((name) => name === 'umzug' || name === 'pg');
      const db = await openDatabase(sqliteUrl(${JSON.stringify(path.join(dir, 'start.sqlite3'))}));
      const pending = await pendingMigrations(db, migrations);
      const atStart = loaded();
      await migrate(db, migrations);
      console.log(JSON.stringify({ pending, atStart, afterMigrate: loaded(), left: await pendingMigrations(db, migrations) }));
      await db.close();`);
    expect(out).toEqual({ pending: ['0001-t'], atStart: [], afterMigrate: ['umzug'], left: [] });
  });

  it('a failing migration stays pending and stops the ones after it', async () => {
    const db = await open();
    const broken: Migration = {
      name: '0002-broken',
      async up({ queryInterface }) {
        await queryInterface.sequelize.query('ALTER TABLE no_such_table ADD COLUMN x TEXT');
      },
    };
    await expect(migrate(db, [...bookMigrations, broken, addSubtitle])).rejects.toThrow(/0002-broken|no_such_table/);
    expect(await pendingMigrations(db, [...bookMigrations, broken, addSubtitle])).toEqual(['0002-broken', '0002-subtitle']);
  });

  it('migrateService applies a module’s migrations to its database from the environment', async () => {
    const url = sqliteUrl(path.join(dir, 'from-env.sqlite3'));
    expect(await migrateService(libraryModule, { LIBRARY_DATABASE_URL: url })).toEqual({ url, applied: ['mgrpc-0001-outbox', 'mgrpc-0002-changes', '0001-books'] });
    expect(await migrateService(libraryModule, { LIBRARY_DATABASE_URL: url })).toEqual({ url, applied: [] });
  });
});

describe('openDatabase', () => {
  it('opens a SQLite file in WAL mode with a busy timeout', async () => {
    const db = await open();
    expect(existsSync(path.join(dir, 'library.sqlite3'))).toBe(true);
    expect(await db.query('PRAGMA journal_mode', { type: QueryTypes.SELECT })).toEqual([{ journal_mode: 'wal' }]);
    expect(await db.query('PRAGMA busy_timeout', { type: QueryTypes.SELECT })).toEqual([{ timeout: 5000 }]);
  });

  it('accepts sqlite:///absolute paths and sqlite::memory:', async () => {
    const file = path.join(dir, 'abs.sqlite3');
    const abs = await openDatabase(`sqlite://${file}`);
    await abs.close();
    expect(existsSync(file)).toBe(true);
    const memory = await openDatabase('sqlite::memory:');
    await migrate(memory, bookMigrations);
    expect(await tables(memory)).toEqual(['books', 'mgrpc_migrations']);
    await memory.close();
  });

  it('refuses an unsupported URL with the accepted forms, without its password', async () => {
    await expect(openDatabase('mysql://root:hunter2@db:3306/library')).rejects.toThrow(
      "unsupported DATABASE_URL 'mysql://root:***@db:3306/library': use sqlite:PATH or postgres://USER@HOST:PORT/DB",
    );
    expect(dialectOf('postgresql://u@h/db')).toBe('postgres');
    expect(redactUrl('postgres://u:p%40ss@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('sqlite:data/x.sqlite3')).toBe('sqlite:data/x.sqlite3');
  });
});
