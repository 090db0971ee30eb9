import { DataTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bookSerializer, defineBook, type BookModel } from '../../../test/support/book.js';
import { openLibraryDatabase } from '../../../test/support/library.js';
import { sqlRunner } from '../db/sql.js';
import { instanceFromRow, rowView } from './from-row.js';

let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
let Book: BookModel;

beforeAll(async () => {
  db = await openLibraryDatabase();
  Book = defineBook(db.sequelize);
});

afterAll(() => db?.cleanup());

describe('instanceFromRow', () => {
  it('makes from an UPDATE … RETURNING row the instance a Sequelize query makes: attributes by name, dates as Dates', async () => {
    const created = await Book.create({ title: 'Dune', isbn: '9780441013593', pages: 412 });
    const [row] = await sqlRunner(db.sequelize).all('UPDATE books SET pages = pages + 1, updated_at = ? WHERE id = ? RETURNING *', ['2026-12-07 10:00:00.000 +00:00', created.id]);
    // SQLite hands back its columns, timestamps as text.
    expect(row).toMatchObject({ created_at: expect.any(String), updated_at: '2026-12-07 10:00:00.000 +00:00' });

    const book = instanceFromRow(Book, row!);
    const found = await Book.findByPk(created.id);
    expect(book.get({ plain: true })).toEqual(found!.get({ plain: true }));
    expect(book.updatedAt).toEqual(new Date('2026-12-07T10:00:00.000Z'));
    expect(book.isNewRecord).toBe(false);
    expect(bookSerializer.toMessage(book)).toEqual(bookSerializer.toMessage(found!));
    expect(bookSerializer.toMessage(book).createdAt).toBe(created.createdAt.toISOString());
  });

  it('makes SQLite\'s 0 and 1 a boolean and keeps a null, as Sequelize does', async () => {
    const Flag = db.sequelize.define('Flag', { id: { type: DataTypes.INTEGER, primaryKey: true }, onShelf: DataTypes.BOOLEAN }, { tableName: 'flags', underscored: true, timestamps: false });
    await Flag.sync();
    await Flag.bulkCreate([{ id: 1, onShelf: true }, { id: 2, onShelf: false }, { id: 3, onShelf: null }]);
    const rows = await sqlRunner(db.sequelize).all('SELECT * FROM flags ORDER BY id');
    expect(rows.map((row) => row.on_shelf)).toEqual([1, 0, null]);
    const expected = (await Flag.findAll({ order: [['id', 'ASC']] })).map((flag) => flag.get({ plain: true }));
    expect(rows.map((row) => instanceFromRow(Flag, row).get({ plain: true }))).toEqual(expected);
    expect(expected.map((flag) => flag.onShelf)).toEqual([true, false, null]);
  });

  it('leaves out columns the model does not have', () => {
    const book = instanceFromRow(Book, { id: '00000000-0000-4000-8000-000000000001', title: 'x', not_a_column: 1 });
    expect(book.get({ plain: true })).not.toHaveProperty('not_a_column');
    expect(book.title).toBe('x');
  });
});

describe('rowView', () => {
  it('shows a row to a serializer as the instance would, without building one: the same message', async () => {
    const created = await Book.create({ title: 'Solaris', isbn: null, pages: 204 });
    const [row] = await sqlRunner(db.sequelize).all('UPDATE books SET pages = pages + 1 WHERE id = ? RETURNING *', [created.id]);
    const message = bookSerializer.toMessage(rowView(Book, row!));
    expect(message).toEqual(bookSerializer.toMessage(instanceFromRow(Book, row!)));
    expect(message).toMatchObject({ isbn: '', pages: 205, createdAt: created.createdAt.toISOString() });
  });

  it('reads through the model\'s getters and makes SQLite\'s 0 and 1 a boolean', async () => {
    const Shelf = db.sequelize.define(
      'Shelf',
      {
        id: { type: DataTypes.INTEGER, primaryKey: true },
        label: { type: DataTypes.STRING, get(this: { getDataValue(key: string): unknown }) { return String(this.getDataValue('label')).toUpperCase(); } },
        open: DataTypes.BOOLEAN,
      },
      { tableName: 'shelves', underscored: true, timestamps: false },
    );
    await Shelf.sync();
    await Shelf.bulkCreate([{ id: 1, label: 'a', open: true }, { id: 2, label: 'b', open: false }]);
    const rows = await sqlRunner(db.sequelize).all('SELECT * FROM shelves ORDER BY id');
    const views = rows.map((row) => rowView(Shelf, row));
    expect(views.map((view) => [view.get('label'), view.get('open')])).toEqual([['A', true], ['B', false]]);
    expect(views.map((view) => view.get('label'))).toEqual(rows.map((row) => instanceFromRow(Shelf, row).get('label')));
  });
});
