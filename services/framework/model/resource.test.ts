/**
 * ModelResource on the Book model over a real database (a SQLite file, a fresh PostgreSQL database): configuration checks, lookups, page
 * bounds, and the write hooks running inside the write's transaction.
 */
import type { Attributes, Transaction } from 'sequelize';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { AppError, ModelResource } from '../index.js';
import { bookResource, bookSerializer, defineBook, type Book, type BookModel } from '../../../test/support/book.js';
import { DIALECTS } from '../../../test/support/databases.js';
import { openLibraryDatabase } from '../../../test/support/library.js';

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
  let Book: BookModel;

  beforeAll(async () => {
    db = await openLibraryDatabase(dialect);
    Book = defineBook(db.sequelize);
  });

  afterAll(async () => {
    await db?.cleanup();
  });

  beforeEach(async () => {
    await Book.destroy({ where: {} });
  });

  async function appError(promise: Promise<unknown>): Promise<AppError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }

  describe('configuration', () => {
    it('refuses a lookupField that is not an attribute', () => {
      expect(() => new ModelResource<Book>({ name: 'book', model: Book, serializer: bookSerializer, lookupField: 'slug' as never })).toThrow(
        "lookupField 'slug' is not an attribute of Book",
      );
    });
  });

  describe('lookups', () => {
    it('finds by another field, described by name when its schema is not a UUID', async () => {
      const byIsbn = new ModelResource<Book>({
        name: 'book',
        model: Book,
        serializer: bookSerializer,
        lookupField: 'isbn',
        lookupSchema: z.string().regex(/^\d{10}$/),
      });
      await Book.create({ title: 'Dune', isbn: '0441013597' });
      expect((await byIsbn.retrieve('0441013597')).title).toBe('Dune');
      expect((await appError(byIsbn.retrieve('12'))).message).toBe("isbn: '12' is not a valid isbn");
      expect((await appError(byIsbn.retrieve('1234567890'))).message).toBe('book 1234567890 not found');
    });

    it('refuses lookups that are missing or not strings', async () => {
      const books = bookResource(Book);
      expect(() => books.parseLookup(undefined)).toThrow('id: is required');
      expect(() => books.parseLookup(42)).toThrow('id: must be a string');
      expect(() => books.parseLookup(`${'x'.repeat(100)}`)).toThrow(`id: '${'x'.repeat(64)}' is not a valid UUID`);
    });
  });

  describe('list', () => {
    it.each([
      [{ limit: 0 }, 'limit: must be an integer from 1 to 100'],
      [{ limit: 101 }, 'limit: must be an integer from 1 to 100'],
      [{ limit: 1.5 }, 'limit: must be an integer from 1 to 100'],
      [{ offset: -1 }, 'offset: must be a non-negative integer'],
    ])('refuses %o', async (query, message) => {
      const err = await appError(bookResource(Book).list(query));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toBe(message);
    });

    it('caps an unbounded list at maxPageSize', async () => {
      const small = new ModelResource<Book>({ name: 'book', model: Book, serializer: bookSerializer, maxPageSize: 2 });
      for (const title of ['A', 'B', 'C']) await Book.create({ title });
      expect(await small.list()).toHaveLength(2);
    });
  });

  describe('write hooks', () => {
    class AuditedBooks extends ModelResource<Book> {
      failAfterWrite = false;
      protected override async performCreate(data: Partial<Attributes<Book>>, transaction: Transaction): Promise<Book> {
        const book = await super.performCreate(data, transaction);
        if (this.failAfterWrite) throw AppError.notFound('the catalogue service is gone');
        return book;
      }
      protected override async performUpdate(instance: Book, data: Partial<Attributes<Book>>, transaction: Transaction): Promise<Book> {
        const book = await super.performUpdate(instance, data, transaction);
        if (this.failAfterWrite) throw new Error('boom');
        return book;
      }
      protected override async performDestroy(instance: Book, transaction: Transaction): Promise<void> {
        await super.performDestroy(instance, transaction);
        if (this.failAfterWrite) throw new Error('boom');
      }
    }

    it('roll the write back when they fail after it', async () => {
      const books = new AuditedBooks({ name: 'book', model: Book, serializer: bookSerializer, lookupSchema: z.uuid() });
      const kept = await books.create({ title: 'Kept' });
      books.failAfterWrite = true;
      expect((await appError(books.create({ title: 'Lost' }))).message).toBe('the catalogue service is gone');
      await expect(books.update(kept.id, { title: 'Changed' })).rejects.toThrow('boom');
      await expect(books.destroy(kept.id)).rejects.toThrow('boom');
      expect((await Book.findAll()).map((b) => b.title)).toEqual(['Kept']);
    });
  });

  describe('concurrent writes on SQLite', () => {
    it('all succeed (transactions are queued, no SQLITE_BUSY)', async () => {
      const books = bookResource(Book);
      const created = await Promise.all(Array.from({ length: 30 }, (_, i) => books.create({ title: `Book ${i}`, pages: i })));
      expect(new Set(created.map((b) => b.id)).size).toBe(30);
      const first = created[0];
      await Promise.all(Array.from({ length: 10 }, (_, i) => books.update(first.id, { pages: 100 + i })));
      expect(await Book.count()).toBe(30);
      expect((await Book.findByPk(first.id))!.pages).toBeGreaterThanOrEqual(100);
    });
  });
});
