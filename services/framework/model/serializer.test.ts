/**
 * ModelSerializer on the Book model, with real model instances from a SQLite file: how a
 * book is shown and parsed on each transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { AppError, ModelSerializer } from '../index.js';
import { bookSerializer, defineBook, type Book, type BookModel } from '../../../test/support/book.js';
import { openLibraryDatabase } from '../../../test/support/library.js';

let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
let Book: BookModel;

beforeAll(async () => {
  db = await openLibraryDatabase();
  Book = defineBook(db.sequelize);
});

afterAll(async () => {
  await db?.cleanup();
});

function invalid(fn: () => unknown): { message: string; field?: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const error = err as AppError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    return { message: error.message, field: error.field };
  }
  throw new Error('expected an INVALID_ARGUMENT');
}

describe('showing a book', () => {
  it('toJSON: the listed fields only, snake_case keys, ISO dates, null for no value', async () => {
    const book = await Book.create({ title: 'Dune', pages: 412 });
    const json = bookSerializer.toJSON(book);
    expect(Object.keys(json)).toEqual(['id', 'title', 'isbn', 'pages', 'created_at']);
    expect(json).toMatchObject({ id: book.id, title: 'Dune', isbn: null, pages: 412 });
    expect(json.created_at).toBe(book.createdAt.toISOString());
  });

  it("toMessage: proto field names, '' for null strings, ISO dates", async () => {
    const book = await Book.create({ title: 'Emma', isbn: null });
    const reloaded = (await Book.findByPk(book.id))!;
    expect(bookSerializer.toMessage(reloaded)).toEqual({
      id: book.id,
      title: 'Emma',
      isbn: '',
      pages: 0,
      createdAt: reloaded.createdAt.toISOString(),
    });
  });
});

describe('parsing JSON', () => {
  it('keeps writable fields and refuses read-only ones, naming them as sent', () => {
    const data = bookSerializer.parseJSON({ title: 'Dune', isbn: '0441013597', pages: 412 }, 'create');
    expect(data).toEqual({ title: 'Dune', isbn: '0441013597', pages: 412 });
    expect(invalid(() => bookSerializer.parseJSON({ title: 'Dune', created_at: '1999-01-01' }, 'partial'))).toEqual({
      message: 'created_at: is read-only and cannot be set',
      field: 'created_at',
    });
  });

  it('refuses unknown fields, naming them as sent', () => {
    expect(invalid(() => bookSerializer.parseJSON({ title: 'A', page_count: 3 }, 'create'))).toEqual({
      message: 'page_count: unknown field (expected title, isbn, pages)',
      field: 'page_count',
    });
  });

  it('maps snake_case keys to camelCase attributes and errors back to snake_case', () => {
    const serializer = new ModelSerializer<Book>({
      fields: ['title', 'createdAt'],
      schema: z.object({ title: z.string(), createdAt: z.iso.datetime('must be an ISO date-time') }),
    });
    expect(serializer.parseJSON({ title: 'A', created_at: '2024-05-01T10:00:00Z' }, 'create')).toEqual({ title: 'A', createdAt: '2024-05-01T10:00:00Z' });
    expect(invalid(() => serializer.parseJSON({ title: 'A', created_at: 'yesterday' }, 'create'))).toEqual({
      message: 'created_at: must be an ISO date-time',
      field: 'created_at',
    });
  });

  it('requires every required field on create and update, none on partial', () => {
    expect(invalid(() => bookSerializer.parseJSON({ pages: 3 }, 'create')).message).toBe('title: is required');
    expect(invalid(() => bookSerializer.parseJSON({ pages: 3 }, 'update')).message).toBe('title: is required');
    expect(bookSerializer.parseJSON({ pages: 3 }, 'partial')).toEqual({ pages: 3 });
    expect(bookSerializer.parseJSON(undefined, 'partial')).toEqual({});
  });

  it('refuses a body that is not an object, and values of the wrong type', () => {
    expect(invalid(() => bookSerializer.parseJSON('Dune', 'create'))).toEqual({ message: 'body: must be a JSON object', field: 'body' });
    expect(invalid(() => bookSerializer.parseJSON({ title: ['Dune'] }, 'create')).message).toBe('title: must be a string');
    expect(invalid(() => bookSerializer.parseJSON({ title: 'A', isbn: 441013597 }, 'create')).message).toBe('isbn: must be a string or null');
  });

  it('applies the schema transforms (trimming)', () => {
    expect(bookSerializer.parseJSON({ title: '  Dune  ' }, 'create')).toEqual({ title: 'Dune' });
  });
});

describe('parsing proto messages', () => {
  const message = { id: 'ignored', title: 'Dune', isbn: '', pages: '0', createdAt: '' };

  it("turns '' into null for nullable strings on create and update", () => {
    expect(bookSerializer.parseMessage(message, 'create')).toEqual({ title: 'Dune', isbn: null, pages: 0 });
    expect(bookSerializer.parseMessage(message, 'update')).toEqual({ title: 'Dune', isbn: null, pages: 0 });
  });

  it("leaves '' and zero-valued numbers alone on partial updates, but not a string '0'", () => {
    expect(bookSerializer.parseMessage(message, 'partial')).toEqual({ title: 'Dune' });
    expect(bookSerializer.parseMessage({ title: '0', isbn: '', pages: '7' }, 'partial')).toEqual({ title: '0', pages: 7 });
  });

  it("treats '' for a required string as missing", () => {
    expect(invalid(() => bookSerializer.parseMessage({ title: '', isbn: '0441013597' }, 'create')).message).toBe('title: is required');
  });

  it('names fields as the proto does when they are renamed', () => {
    const serializer = new ModelSerializer<Book>({
      fields: ['id', 'title'],
      readOnly: ['id'],
      schema: z.object({ title: z.string().max(5, 'must be at most 5 characters') }),
      messageFields: { id: 'bookId', title: 'bookTitle' },
    });
    expect(serializer.messageField('id')).toBe('bookId');
    expect(serializer.parseMessage({ bookId: 'x', bookTitle: 'Emma', title: 'ignored' }, 'create')).toEqual({ title: 'Emma' });
    expect(invalid(() => serializer.parseMessage({ bookTitle: 'Middlemarch' }, 'create'))).toEqual({
      message: 'book_title: must be at most 5 characters',
      field: 'book_title',
    });
  });
});

describe('configuration', () => {
  it('refuses a schema key that is a read-only field', () => {
    expect(
      () =>
        new ModelSerializer<Book>({
          fields: ['id', 'title'],
          readOnly: ['id'],
          schema: z.object({ id: z.string(), title: z.string() }),
        }),
    ).toThrow("serializer schema validates 'id', which is not a writable field: add it to fields, or remove it from readOnly");
  });

  it('refuses a schema key that is not a field at all', () => {
    expect(() => new ModelSerializer<Book>({ fields: ['title'], schema: z.object({ title: z.string(), author: z.string() }) })).toThrow(
      "serializer schema validates 'author', which is not a writable field",
    );
  });
});
