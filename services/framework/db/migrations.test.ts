/**
 * Migrations and connections on real SQLite files in a temp dir.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { QueryTypes, type Sequelize } from 'sequelize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { dialectOf, migrate, migrateService, migrationStates, openDatabase, pendingMigrations, redactUrl, revert, sqliteUrl, type Migration } from '../index.js';
import { bookMigrations } from '../../../test/support/book.js';
import { libraryModule } from '../../../test/support/library.js';
import { runScript } from '../../../test/support/loaded-packages.js';
import { createTestDatabase } from '../../../test/support/postgres.js';

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

  it('a SQLite service checks and applies its migrations without loading pg (start-up time)', () => {
    // A fresh node process on the built CLI and framework, as a server starts: what it loaded shows in require's cache.
    const dist = path.resolve(import.meta.dirname, '../../../dist');
    const framework = path.join(dist, 'services/framework/index.js');
    const out = runScript(`
      await import(${JSON.stringify(path.join(dist, 'cli/main.js'))});
      const { openDatabase, pendingMigrations, migrate, sqliteUrl } = await import(${JSON.stringify(framework)});
      const migrations = [{ name: '0001-t', up: ({ queryInterface, DataTypes }) => queryInterface.createTable('t', { id: { type: DataTypes.INTEGER, primaryKey: true } }) }];
      const loaded = () => loadedPackages().filter((name) => name === 'pg');
      const db = await openDatabase(sqliteUrl(${JSON.stringify(path.join(dir, 'start.sqlite3'))}));
      const pending = await pendingMigrations(db, migrations);
      const atStart = loaded();
      await migrate(db, migrations);
      console.log(JSON.stringify({ pending, atStart, afterMigrate: loaded(), left: await pendingMigrations(db, migrations) }));
      await db.close();`);
    expect(out).toEqual({ pending: ['0001-t'], atStart: [], afterMigrate: [], left: [] });
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

  it('a migration failing halfway leaves none of its changes (one transaction with its record)', async () => {
    const db = await open();
    const halfway: Migration = {
      name: '0002-halfway',
      async up({ queryInterface, DataTypes, transaction }) {
        await queryInterface.addColumn('books', 'subtitle', { type: DataTypes.STRING(200), allowNull: true }, { transaction });
        await queryInterface.sequelize.query('INSERT INTO no_such_table VALUES (1)', { transaction });
      },
    };
    await expect(migrate(db, [...bookMigrations, halfway])).rejects.toThrow(/no_such_table/);
    expect(Object.keys(await db.getQueryInterface().describeTable('books'))).not.toContain('subtitle');
    expect(await pendingMigrations(db, [...bookMigrations, halfway])).toEqual(['0002-halfway']);
  });

  it.each(['sqlite', 'postgres'] as const)('two processes migrating one %s database at once take turns: each migration runs once', async (dialect) => {
    const database = dialect === 'postgres' ? await createTestDatabase() : undefined;
    const url = database?.url ?? sqliteUrl(path.join(dir, 'shared.sqlite3'));
    const [a, b] = [await openDatabase(url), await openDatabase(url)];
    try {
      let runs = 0;
      const counted = (name: string): Migration => ({
        name,
        async up({ queryInterface, DataTypes, transaction }) {
          runs += 1;
          await queryInterface.createTable(name.replace('-', '_t'), { id: { type: DataTypes.INTEGER, primaryKey: true } }, { transaction });
        },
      });
      const all = [counted('0001-a'), counted('0002-b'), counted('0003-c')];
      const [first, second] = await Promise.all([migrate(a, all), migrate(b, all)]);
      expect([...first, ...second].sort()).toEqual(['0001-a', '0002-b', '0003-c']);
      expect(runs).toBe(3);
      expect(await pendingMigrations(a, all)).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await database?.drop();
    }
  });

  it('applies up to a migration, reverts newest first through each down, and reports what is applied', async () => {
    const db = await open();
    const order: string[] = [];
    const step = (name: string): Migration => ({ name, up: async () => void order.push(`up ${name}`), down: async () => void order.push(`down ${name}`) });
    const all = [step('0001-a'), step('0002-b'), step('0003-c')];
    expect(await migrate(db, all, { to: '0002-b' })).toEqual(['0001-a', '0002-b']);
    expect(await migrate(db, all)).toEqual(['0003-c']);
    expect(await revert(db, all, '0001-a')).toEqual(['0003-c', '0002-b']);
    expect(await migrationStates(db, all)).toEqual({
      states: [
        { name: '0001-a', applied: true },
        { name: '0002-b', applied: false },
        { name: '0003-c', applied: false },
      ],
      unknown: [],
    });
    expect(await revert(db, all)).toEqual(['0001-a']);
    expect(order).toEqual(['up 0001-a', 'up 0002-b', 'up 0003-c', 'down 0003-c', 'down 0002-b', 'down 0001-a']);
    // An applied migration whose file is gone is reported, not dropped.
    await migrate(db, all.slice(0, 1));
    expect((await migrationStates(db, all.slice(1))).unknown).toEqual(['0001-a']);
    await expect(revert(db, [{ name: '0001-a', up: async () => undefined }])).rejects.toThrow('migration 0001-a has no down(): it cannot be reverted');
  });

  it('on SQLite, changing or removing a column keeps the table\'s indexes and triggers, and a two-column unique stays two-column', async () => {
    const db = await open();
    const likes: Migration = {
      name: '0001-likes',
      async up({ queryInterface, DataTypes, transaction }) {
        await queryInterface.createTable('likes', {
          id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
          user_id: { type: DataTypes.UUID, allowNull: false },
          product_id: { type: DataTypes.UUID, allowNull: false },
          code: { type: DataTypes.STRING(10), allowNull: true, unique: true },
          note: { type: DataTypes.STRING(20), allowNull: true },
          // A default with a semicolon inside its quotes: the rebuild splits statements, not it.
          tag: { type: DataTypes.STRING(20), allowNull: false, defaultValue: "a;b 'c'" },
        }, { transaction });
        await queryInterface.addIndex('likes', ['user_id', 'product_id'], { unique: true, name: 'likes_user_product', transaction });
        await queryInterface.addIndex('likes', ['note'], { name: 'likes_note', transaction });
        // Triggers go with a dropped table: the rebuild makes them again, but not one naming a removed column.
        await queryInterface.createTable('like_log', { like_id: { type: DataTypes.UUID, allowNull: false } }, { transaction });
        await queryInterface.sequelize.query('CREATE TRIGGER likes_logged AFTER INSERT ON likes BEGIN INSERT INTO like_log (like_id) VALUES (NEW.id); END', { transaction });
        await queryInterface.sequelize.query('CREATE TRIGGER likes_code AFTER UPDATE OF code ON likes BEGIN INSERT INTO like_log (like_id) VALUES (NEW.code); END', { transaction });
        await queryInterface.changeColumn('likes', 'note', { type: DataTypes.STRING(200), allowNull: true }, { transaction });
        await queryInterface.removeColumn('likes', 'code', { transaction });
      },
    };
    await migrate(db, [likes]);
    const indexes = await db.query<{ name: string; unique: number; origin: string }>('PRAGMA index_list(likes)', { type: QueryTypes.SELECT });
    expect(indexes.filter((i) => i.origin !== 'pk').map((i) => [i.name, i.unique]).sort()).toEqual([['likes_note', 0], ['likes_user_product', 1]]);
    expect((await db.getQueryInterface().describeTable('likes')).note!.type).toBe('VARCHAR(200)');
    await db.query(`INSERT INTO likes (id, user_id, product_id) VALUES ('0', 'u0', 'p0')`);
    expect(await db.query(`SELECT tag FROM likes WHERE id = '0'`, { type: QueryTypes.SELECT })).toEqual([{ tag: "a;b 'c'" }]);
    await db.query(`DELETE FROM likes WHERE id = '0'`);
    expect(await db.query(`SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`, { type: QueryTypes.SELECT })).toEqual([{ name: 'likes_logged' }]);
    expect(await db.query(`SELECT like_id FROM like_log`, { type: QueryTypes.SELECT })).toEqual([{ like_id: 0 }]);
    // The same user may like two products; the same like twice is refused.
    const insert = (id: string, product: string) => db.query(`INSERT INTO likes (id, user_id, product_id) VALUES ('${id}', 'u1', '${product}')`);
    await insert('1', 'p1');
    await insert('2', 'p2');
    await expect(insert('3', 'p1')).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
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
