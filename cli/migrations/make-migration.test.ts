/**
 * makemigrations in-process: this repository's services have no model change without its
 * migration (CI fails on one); and for changes of every kind, the rendered file, run as
 * written on SQLite, leaves nothing to detect, and its down brings back the schema before;
 * on the real PostgreSQL, the same file applies, reverts and applies again.
 */
import { DataTypes, QueryTypes, type ModelAttributes, type ModelOptions, type Sequelize } from 'sequelize';
import { describe, expect, it } from 'vitest';

import { openDatabase } from '../../services/framework/db/connect.js';
import { migrate, revert, type Migration } from '../../services/framework/db/migrations.js';
import { sqliteUrl } from '../../services/framework/db/url.js';
import type { ServiceModule } from '../../services/framework/service-module.js';
import { SERVICE_NAMES, loadService } from '../../services/registry.js';
import { bookMigrations, defineBook } from '../../test/support/book.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { detectChanges, renderMigration, suggestSlug } from './make-migration.js';
import { migratedSchema } from './migrated-schema.js';
import { MigrationError } from './migration-error.js';
import { columnKey, indexKey, type Schema } from './schema.js';

type Models = (sequelize: Sequelize) => object;

function libraryWith(models: Models, migrations: Migration[] = bookMigrations): ServiceModule<unknown> {
  return {
    name: 'library',
    ports: { rest: 0, grpc: 1 },
    migrations,
    models,
    setup: () => ({}),
    grpcServices: () => [],
    restRoutes: () => {
      throw new Error('not served in this test');
    },
  };
}

/** A Book model as defineBook has it, changed by `edit`. */
const books =
  (edit: (attributes: ModelAttributes) => ModelAttributes, options: ModelOptions = {}): Models =>
  (sequelize) => {
    const attributes = { ...defineBook(sequelize).getAttributes() } as unknown as ModelAttributes;
    for (const name of ['createdAt', 'updatedAt']) delete attributes[name];
    return { Book: sequelize.define('Book', edit(attributes), { tableName: 'books', underscored: true, ...options }) };
  };

/** The migration file as written, run as JavaScript (its only TypeScript is the import and the annotation). */
function load(text: string): Migration {
  const js = text.replace(/^import type .*$/m, '').replace(/export const \w+: Migration = /, 'return ');
  return new Function(js)() as Migration;
}

async function schemaOf(module: ServiceModule<unknown>): Promise<string[]> {
  const sequelize = await openDatabase(sqliteUrl(':memory:'));
  try {
    return flatten(await migratedSchema(module, sequelize));
  } finally {
    await sequelize.close();
  }
}

/** Tables, columns and indexes, as comparable lines (index names aside). */
const flatten = (schema: Schema) =>
  [...schema.values()].flatMap((t) => [...t.columns.map((c) => `${t.name}.${c.name} ${columnKey(c)}`), ...t.indexes.map((i) => `${t.name} ${indexKey(i)}`)]).sort();

/** Column -> [data_type, is_nullable, column_default] and index definitions of a PostgreSQL table. */
async function pgTable(sequelize: Sequelize, table: string): Promise<string[]> {
  const columns = await sequelize.query<Record<string, string>>(
    'SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_name = ? ORDER BY column_name',
    { replacements: [table], type: QueryTypes.SELECT },
  );
  const indexes = await sequelize.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE tablename = ? ORDER BY indexname', { replacements: [table], type: QueryTypes.SELECT });
  // Index names aside: an inline UNIQUE (books_isbn_key) comes back as a unique index of another name.
  return [...columns.map((c) => Object.values(c).join(' ')), ...indexes.map((i) => i.indexdef.replace(/INDEX \S+ ON public\./, 'INDEX ON '))];
}

/** The generated file on the real PostgreSQL: up, down back to the schema before, up again to the same schema. */
async function onPostgres(generated: Migration): Promise<{ before: string[]; after: string[] }> {
  const database = await createTestDatabase();
  const sequelize = await openDatabase(database.url);
  try {
    await migrate(sequelize, bookMigrations);
    const before = await pgTable(sequelize, 'books');
    await migrate(sequelize, [...bookMigrations, generated]);
    const after = await pgTable(sequelize, 'books');
    expect(await revert(sequelize, [...bookMigrations, generated], '0001-books')).toEqual([generated.name]);
    expect(await pgTable(sequelize, 'books')).toEqual(before);
    await migrate(sequelize, [...bookMigrations, generated]);
    expect(await pgTable(sequelize, 'books')).toEqual(after);
    return { before, after };
  } finally {
    await sequelize.close();
    await database.drop();
  }
}

/** makemigrations, then the written file applied: nothing left to detect; reverted: the schema from before. */
async function roundTrip(models: Models): Promise<{ summaries: string[]; text: string; generated: Migration }> {
  const before = libraryWith(models);
  const operations = await detectChanges(before);
  expect(operations.length).toBeGreaterThan(0);
  const text = renderMigration({ service: 'library', name: '0002-x', exported: 'x', frameworkImport: 'mgrpc/framework', operations });
  const generated = load(text);
  const after = libraryWith(models, [...bookMigrations, generated]);
  expect(await detectChanges(after)).toEqual([]);

  const sequelize = await openDatabase(sqliteUrl(':memory:'));
  try {
    await migratedSchema(after, sequelize);
    expect(await revert(sequelize, after.migrations, '0001-books')).toEqual(['0002-x']);
    // No migrations to run: just read what the revert left.
    expect(flatten(await migratedSchema(libraryWith(models, []), sequelize))).toEqual(await schemaOf(libraryWith(models)));
  } finally {
    await sequelize.close();
  }
  return { summaries: operations.map((op) => op.summary), text, generated };
}

describe('makemigrations', () => {
  it.each(SERVICE_NAMES)("this repository's %s service: its migrations make what its models describe", async (name) => {
    expect((await detectChanges(await loadService(name))).map((op) => op.summary)).toEqual([]);
  });

  it('the test model as its migration made it: no changes (a UNIQUE written inline is the same as a unique index)', async () => {
    expect(await detectChanges(libraryWith((sequelize) => ({ Book: defineBook(sequelize) })))).toEqual([]);
  });

  it('added, changed and removed columns and indexes: applied, nothing left; reverted, as before', async () => {
    const { summaries, text, generated } = await roundTrip(
      books(
        ({ isbn: _isbn, ...attributes }) => ({
          ...attributes,
          title: { type: DataTypes.STRING(300), allowNull: false, unique: 'books_code_title' },
          subtitle: { type: DataTypes.TEXT, allowNull: true },
          rating: { type: DataTypes.DECIMAL(3, 1), allowNull: false, defaultValue: 2.5 },
          available: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
          // Every type the scaffold offers, and the other portable ones.
          weight: { type: DataTypes.DOUBLE, allowNull: true },
          ratio: { type: DataTypes.FLOAT, allowNull: true },
          copies: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
          editor_id: { type: DataTypes.UUID, allowNull: true },
          publishedOn: { type: DataTypes.DATEONLY, allowNull: true },
          printed_at: { type: DataTypes.DATE, allowNull: true },
          code: { type: DataTypes.CHAR(4), allowNull: true, unique: 'books_code_title' },
          extra: { type: DataTypes.JSON, allowNull: true },
          motto: { type: DataTypes.STRING(20), allowNull: false, defaultValue: "it's" },
        }),
        // An index may name attributes or columns: publishedOn is published_on.
        { indexes: [{ fields: ['rating', 'title'], unique: true }, { fields: ['publishedOn'] }] },
      ),
    );
    expect(summaries).toEqual([
      '+ column books.subtitle',
      '+ column books.rating',
      '+ column books.available',
      '+ column books.weight',
      '+ column books.ratio',
      '+ column books.copies',
      '+ column books.editor_id',
      '+ column books.published_on',
      '+ column books.printed_at',
      '+ column books.code',
      '+ column books.extra',
      '+ column books.motto',
      '~ column books.title: { type: DataTypes.STRING(200), allowNull: false } -> { type: DataTypes.STRING(300), allowNull: false }',
      '- column books.isbn',
      '+ index books unique (title, code)',
      '+ index books unique (rating, title)',
      '+ index books (published_on)',
    ]);
    // The removed column comes back as it was, with its unique index.
    expect(text).toContain("await queryInterface.addColumn('books', 'isbn', { type: DataTypes.STRING(13), allowNull: true }, { transaction });");
    expect(text).toContain("await queryInterface.addIndex('books', ['isbn'], { name: 'books_isbn_unique', unique: true, transaction });");
    expect(text).toContain('defaultValue: true');

    // The same file on PostgreSQL: applied, reverted to the schema before, applied again.
    const { before, after } = await onPostgres(generated);
    expect(before).toContain('isbn character varying 13 YES ');
    expect(after).toEqual(
      expect.arrayContaining([
        'title character varying 300 NO ',
        "motto character varying 20 NO 'it''s'::character varying",
        'rating numeric  NO 2.5',
        'available boolean  NO true',
        'CREATE UNIQUE INDEX ON books USING btree (title, code)',
      ]),
    );
    expect(after.join('\n')).not.toContain('isbn');
  });

  it('a removed required column with no default comes back nullable first, then required', async () => {
    const { text } = await roundTrip(books(({ title: _title, ...attributes }) => attributes));
    expect(text).toContain("await queryInterface.addColumn('books', 'title', { type: DataTypes.STRING(200), allowNull: true }, { transaction });");
    expect(text).toContain("await queryInterface.changeColumn('books', 'title', { type: DataTypes.STRING(200), allowNull: false }, { transaction });");
  });

  it('a new model is a new table and a removed one is dropped; down recreates it with its indexes', async () => {
    const { summaries, text } = await roundTrip((sequelize) => ({
      Author: sequelize.define(
        'Author',
        { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, name: { type: DataTypes.STRING(100), allowNull: false, unique: true } },
        { tableName: 'authors', timestamps: false },
      ),
    }));
    expect(summaries).toEqual(['+ table authors', '- table books']);
    expect(suggestSlug(await detectChanges(libraryWith((s) => ({ Author: s.define('Author', {}, { tableName: 'authors' }) }))))).toBe('create-author-and-more');
    expect(text).toContain("await queryInterface.createTable('books', {");
    expect(text).toContain("id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true, autoIncrement: true },");
  });

  it.each([
    [
      'a type no generated migration can express',
      books((a) => ({ ...a, status: { type: DataTypes.ENUM('draft', 'published'), allowNull: true } })),
      'model Book (table books), attribute status: type ENUM (TEXT on SQLite) cannot be expressed by a generated migration that runs on SQLite and PostgreSQL alike; use one of STRING(n)',
    ],
    [
      'a precision SQLite would drop',
      books((a) => ({ ...a, stamped: { type: DataTypes.DATE(3), allowNull: true } })),
      'attribute stamped: type DATE with {"length":3} (DATETIME on SQLite) cannot be expressed',
    ],
    [
      'a new required column with no default',
      books((a) => ({ ...a, edition: { type: DataTypes.INTEGER, allowNull: false } })),
      'table books: new column edition is NOT NULL with no default, so the rows already there would have no value: give it a defaultValue or allowNull: true',
    ],
    [
      'a changed primary key',
      books(({ id: _id, ...a }) => ({ ...a, id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true } })),
      'table books: its primary key changes (id DataTypes.UUID -> id DataTypes.INTEGER); makemigrations does not generate that: write this migration by hand',
    ],
  ])('refuses %s, saying what to do', async (_what, models, message) => {
    const refused = detectChanges(libraryWith(models));
    await expect(refused).rejects.toBeInstanceOf(MigrationError);
    await expect(refused).rejects.toThrow(message);
  });
});
