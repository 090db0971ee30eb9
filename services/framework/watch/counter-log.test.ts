/**
 * The counter log's trigger (counter-log.ts) on a real SQLite file, with the framework's book
 * model (its `pages` an int64 counter): the rows it writes are the serializer's messages with
 * each unit's count, in order, inside the statement that added them (a rolled-back increase
 * leaves none); a decrease writes none, a jump its last MAX_LOGGED_UNITS; installing again keeps it, a changed serializer
 * replaces it; a field type or a getter it cannot show is refused; PostgreSQL gets none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DataTypes, type Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { atomic, instanceFromRow, migrate, ModelSerializer, openDatabase, outboxMigration, sqliteUrl, sqlRunner, type Row } from '../index.js';
import { bookMigrations, bookSerializer, defineBook, type Book, type BookModel } from '../../../test/support/book.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { counterTriggerName, logCounterIncreases, MAX_LOGGED_UNITS } from './counter-log.js';
import { changesMigration } from './tables.js';

let dir: string;
let sequelize: Sequelize;
let Book: BookModel;

const installed = async () =>
  (await sqlRunner(sequelize).all<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [counterTriggerName('books', 'pages')]))[0]?.sql;
const logged = async (key: string) =>
  (await sqlRunner(sequelize).all<{ topic: string; kind: string; data: string }>('SELECT topic, kind, data FROM mgrpc_changes WHERE key = ? ORDER BY seq', [key])).map((row) => ({
    topic: row.topic,
    kind: row.kind,
    message: JSON.parse(row.data) as Record<string, unknown>,
  }));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-counter-log-'));
  sequelize = await openDatabase(sqliteUrl(path.join(dir, 'books.sqlite3')));
  await migrate(sequelize, [outboxMigration, changesMigration, ...bookMigrations]);
  Book = defineBook(sequelize);
});

afterAll(async () => {
  await sequelize?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('logCounterIncreases on SQLite', () => {
  it('writes one change per unit added, each the serializer\'s message with the count after that unit, in the adding statement', async () => {
    expect(await logCounterIncreases({ sequelize, model: Book, serializer: bookSerializer, topic: 'book', counter: 'pages' })).toBe(true);
    // A null isbn ('' in the message), a quote and non-ASCII text in the title.
    const book = await Book.create({ title: "l'été — 📚", isbn: null, pages: 5 });
    const [row] = await sqlRunner(sequelize).all<Row>('UPDATE books SET pages = pages + ? WHERE id = ? RETURNING *', [3, book.id]);
    const message = bookSerializer.toMessage(instanceFromRow(Book, row) as Book);
    expect(message.pages).toBe(8);
    const changes = await logged(book.id);
    expect(changes).toEqual([6, 7, 8].map((pages) => ({ topic: 'book', kind: 'updated', message: { ...message, pages } })));
    expect(changes[0].message).toMatchObject({ isbn: '', title: "l'été — 📚", createdAt: book.createdAt.toISOString() });
  });

  it('writes nothing for an increase that rolls back, or for a decrease', async () => {
    const book = await Book.create({ title: 'rolled back', pages: 1 });
    await expect(
      atomic(sequelize, async (transaction) => {
        await sqlRunner(sequelize).all('UPDATE books SET pages = pages + 2 WHERE id = ? RETURNING *', [book.id], transaction);
        expect(await logged(book.id)).toEqual([]); // outside the transaction, nothing yet
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    await sqlRunner(sequelize).all('UPDATE books SET pages = pages - 1 WHERE id = ? RETURNING *', [book.id]);
    expect(await logged(book.id)).toEqual([]);
    await atomic(sequelize, (transaction) => sqlRunner(sequelize).all('UPDATE books SET pages = pages + 1 WHERE id = ? RETURNING *', [book.id], transaction));
    expect((await logged(book.id)).map((change) => change.message.pages)).toEqual([1]);
  });

  it('logs at most the last MAX_LOGGED_UNITS units of one jump (a repair of the count, not a like batch)', async () => {
    const book = await Book.create({ title: 'repaired', pages: 10 });
    await sqlRunner(sequelize).all('UPDATE books SET pages = pages + ? WHERE id = ? RETURNING *', [MAX_LOGGED_UNITS + 500, book.id]);
    const counts = (await logged(book.id)).map((change) => change.message.pages);
    expect(counts).toHaveLength(MAX_LOGGED_UNITS);
    expect([counts[0], counts.at(-1)]).toEqual([10 + 501, 10 + MAX_LOGGED_UNITS + 500]);
  });

  it('keeps the trigger when installed again, and replaces it when the serializer changes', async () => {
    const first = await installed();
    expect(first).toContain('json_object');
    expect(await logCounterIncreases({ sequelize, model: Book, serializer: bookSerializer, topic: 'book', counter: 'pages' })).toBe(true);
    expect(await installed()).toBe(first);
    const withUpdatedAt = new ModelSerializer<Book>({ fields: [...bookSerializer.fields, 'updatedAt'], readOnly: ['id', 'createdAt', 'updatedAt'], schema: bookSerializer.schema });
    await logCounterIncreases({ sequelize, model: Book, serializer: withUpdatedAt, topic: 'book', counter: 'pages' });
    expect(await installed()).not.toBe(first);
    const book = await Book.create({ title: 'with its update time', pages: 0 });
    const [row] = await sqlRunner(sequelize).all<Row>('UPDATE books SET pages = pages + 1 WHERE id = ? RETURNING *', [book.id]);
    expect((await logged(book.id)).map((change) => change.message)).toEqual([withUpdatedAt.toMessage(instanceFromRow(Book, row) as Book)]);
    // Back to the book serializer's trigger for the other tests.
    await logCounterIncreases({ sequelize, model: Book, serializer: bookSerializer, topic: 'book', counter: 'pages' });
    expect(await installed()).toBe(first);
  });

  it('refuses a field whose message form it cannot write, and a counter the serializer does not show', async () => {
    class Shelf extends Book {}
    Shelf.init({ ...Book.getAttributes(), tags: { type: DataTypes.JSON } } as never, { sequelize, tableName: 'books', underscored: true, modelName: 'Shelf' });
    const serializer = new ModelSerializer<Book>({ fields: ['id', 'pages', 'tags' as never], readOnly: ['id'], schema: bookSerializer.schema.pick({}) });
    await expect(logCounterIncreases({ sequelize, model: Shelf as never, serializer, topic: 'book', counter: 'pages' })).rejects.toThrow(/no SQL form of a JSON field \('tags'\)/);
    await expect(logCounterIncreases({ sequelize, model: Book, serializer: bookSerializer, topic: 'book', counter: 'updatedAt' })).rejects.toThrow(/'updatedAt' is not a field of the serializer/);
    // A getter shows a field otherwise than its column holds it: SQL cannot follow it.
    class Shouted extends Book {}
    const attributes = Book.getAttributes() as Record<string, object>;
    Shouted.init({ ...attributes, title: { ...attributes.title, get(this: Book) { return String(this.getDataValue('title')).toUpperCase(); } } } as never, { sequelize, tableName: 'books', underscored: true, modelName: 'Shouted' });
    await expect(logCounterIncreases({ sequelize, model: Shouted as never, serializer: bookSerializer, topic: 'book', counter: 'pages' })).rejects.toThrow(/'title' has a getter/);
  });
});

describe('logCounterIncreases on PostgreSQL', () => {
  it('installs nothing and leaves the changes to recordChanges', async () => {
    const pg = await createTestDatabase();
    const db = await openDatabase(pg.url);
    try {
      await migrate(db, [outboxMigration, changesMigration, ...bookMigrations]);
      expect(await logCounterIncreases({ sequelize: db, model: defineBook(db), serializer: bookSerializer, topic: 'book', counter: 'pages' })).toBe(false);
      const [{ n }] = await sqlRunner(db).all<{ n: string }>("SELECT count(*) AS n FROM pg_trigger WHERE tgname LIKE 'mgrpc_log_%'");
      expect(Number(n)).toBe(0);
    } finally {
      await db.close();
      await pg.drop();
    }
  });
});
