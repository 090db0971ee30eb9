/**
 * The list query (search, ordering, filters, count) of ModelResource on the Book model, on a
 * real SQLite file and a real PostgreSQL database: the same answers on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { AppError, ModelResource, type ListQuery } from '../index.js';
import { bookResource, bookSerializer, defineBook, type Book, type BookModel } from '../../../test/support/book.js';
import { DIALECTS } from '../../../test/support/databases.js';
import { openLibraryDatabase } from '../../../test/support/library.js';

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
  let Book: BookModel;
  let books: ModelResource<Book>;

  beforeAll(async () => {
    db = await openLibraryDatabase(dialect);
    Book = defineBook(db.sequelize);
    books = bookResource(Book);
    let lastCreated = 0;
    for (const [title, isbn, pages] of [
      ['Dune', '0441013597', 412],
      ['Dune Messiah', null, 256],
      ['Children of Dune', null, 444],
      ['100% Pure_Fiction', null, 256],
      ['Émile', null, 300],
      ['The Hobbit', '0547928227', 310],
    ] as const) {
      // Each book a created_at of its own (the filter test looks one up exactly): two creates
      // in the same millisecond would share one.
      while (Date.now() <= lastCreated) await new Promise((resolve) => setImmediate(resolve));
      lastCreated = (await Book.create({ title, isbn, pages })).createdAt.getTime();
    }
  });

  afterAll(async () => {
    await db?.cleanup();
  });

  async function titles(query: ListQuery): Promise<string[]> {
    return (await books.list(query)).map((b) => b.title);
  }

  async function refusal(query: ListQuery): Promise<string> {
    const err = await books.list(query).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_ARGUMENT');
    return (err as AppError).message;
  }

  it('declares its fields as the API spells them', () => {
    expect(books.listOptions()).toEqual({
      searchFields: ['title', 'isbn'],
      orderingFields: ['id', 'title', 'isbn', 'pages', 'created_at'],
      filterFields: ['id', 'title', 'isbn', 'pages', 'created_at'],
    });
  });

  it('searches case-insensitively, every term in some field', async () => {
    expect(await titles({ search: 'dUNE' })).toEqual(['Children of Dune', 'Dune', 'Dune Messiah']);
    expect(await titles({ search: 'dune messiah' })).toEqual(['Dune Messiah']);
    expect(await titles({ search: 'dune, children' })).toEqual(['Children of Dune']);
    expect(await titles({ search: '0547' })).toEqual(['The Hobbit']);
    expect(await books.count({ search: 'dune' })).toBe(3);
  });

  it('matches %, _ and \\ literally', async () => {
    expect(await titles({ search: '100%' })).toEqual(['100% Pure_Fiction']);
    expect(await titles({ search: '%' })).toEqual(['100% Pure_Fiction']);
    expect(await titles({ search: '_' })).toEqual(['100% Pure_Fiction']);
    expect(await titles({ search: 'e_f' })).toEqual(['100% Pure_Fiction']);
    expect(await titles({ search: '\\' })).toEqual([]);
  });

  it('finds non-ASCII text as written', async () => {
    expect(await titles({ search: 'Émile' })).toEqual(['Émile']);
    expect(await titles({ search: 'mile' })).toEqual(['Émile']);
  });

  it('orders by the client, then the default ordering, then the key', async () => {
    expect(await titles({ ordering: '-pages' })).toEqual(['Children of Dune', 'Dune', 'The Hobbit', 'Émile', '100% Pure_Fiction', 'Dune Messiah']);
    expect(await titles({ ordering: 'pages,-title' })).toEqual(['Dune Messiah', '100% Pure_Fiction', 'Émile', 'The Hobbit', 'Dune', 'Children of Dune']);
    // Nulls first ascending on both databases.
    expect((await books.list({ ordering: 'isbn', limit: 4 })).map((b) => b.isbn)).toEqual([null, null, null, null]);
    expect((await books.list({ ordering: '-isbn', limit: 2 })).map((b) => b.isbn)).toEqual(['0547928227', '0441013597']);
  });

  it('pages stably through equal values', async () => {
    const all = await books.list({ ordering: 'pages' });
    const paged = [];
    for (let offset = 0; offset < all.length; offset += 1) paged.push(...(await books.list({ ordering: 'pages', limit: 1, offset })));
    expect(paged.map((b) => b.id)).toEqual(all.map((b) => b.id));
  });

  it('filters by exact values parsed by the column type', async () => {
    expect(await titles({ filters: { pages: '256' } })).toEqual(['100% Pure_Fiction', 'Dune Messiah']);
    expect(await titles({ filters: { title: 'dune' } })).toEqual([]);
    expect(await titles({ filters: { title: 'Dune' } })).toEqual(['Dune']);
    expect(await titles({ filters: { pages: '256' }, search: 'dune' })).toEqual(['Dune Messiah']);
    const hobbit = (await books.list({ filters: { isbn: '0547928227' } }))[0];
    expect(await titles({ filters: { id: hobbit.id.toUpperCase() } })).toEqual(['The Hobbit']);
    expect(await titles({ filters: { created_at: hobbit.createdAt.toISOString() } })).toEqual(['The Hobbit']);
    expect(await books.count({ filters: { pages: '256' } })).toBe(2);
  });

  it.each<[ListQuery, string]>([
    [{ ordering: 'price' }, "ordering: 'price' is not an ordering field (expected id, title, isbn, pages, created_at, each optionally prefixed with '-')"],
    [{ ordering: 'title,,pages' }, "ordering: has an empty field name (expected id, title, isbn, pages, created_at, each optionally prefixed with '-')"],
    [{ filters: { price: '1' } }, 'price: is not a filter field (expected id, title, isbn, pages, created_at)'],
    [{ filters: { pages: 'many' } }, "pages: 'many' is not a whole number"],
    [{ filters: { pages: '1.5' } }, "pages: '1.5' is not a whole number"],
    [{ filters: { id: '42' } }, "id: '42' is not a valid UUID"],
    [{ filters: { created_at: 'yesterday' } }, "created_at: 'yesterday' is not an ISO 8601 time with its offset (2026-12-06T21:43:48.123Z)"],
    [{ filters: { title: 'a\u0000b' } }, 'title: contains the control character U+0000'],
    [{ search: 'a\u0000b' }, 'search: contains the control character U+0000'],
    [{ search: 'x'.repeat(201) }, 'search: must be at most 200 characters'],
    [{ search: 'a b c d e f g h i j k' }, 'search: must have at most 10 terms'],
  ])('refuses %o', async (query, message) => {
    expect(await refusal(query)).toBe(message);
  });

  it('honours declared fields and refuses a list without search fields', async () => {
    const narrow = new ModelResource<Book>({
      name: 'book',
      model: Book,
      serializer: bookSerializer,
      lookupSchema: z.uuid(),
      searchFields: [],
      orderingFields: ['pages'],
      filterFields: ['isbn'],
    });
    expect(narrow.listOptions()).toEqual({ searchFields: [], orderingFields: ['pages'], filterFields: ['isbn'] });
    await expect(narrow.list({ search: 'dune' })).rejects.toThrow('search: this list has no search fields');
    await expect(narrow.list({ ordering: 'title' })).rejects.toThrow("ordering: 'title' is not an ordering field (expected pages, each optionally prefixed with '-')");
    await expect(narrow.count({ filters: { pages: '1' } })).rejects.toThrow('pages: is not a filter field (expected isbn)');
  });

  it('refuses a misconfigured resource at construction, saying why', () => {
    const make = (config: object) => () => new ModelResource<Book>({ name: 'book', model: Book, serializer: bookSerializer, ...config });
    expect(make({ searchFields: ['pages'] })).toThrow("searchFields: 'pages' is not a text column; search only looks in text");
    expect(make({ orderingFields: ['price'] })).toThrow("orderingFields: 'price' is not an attribute of Book");
  });

  it('fingerprints what a query selects, not how it is spelled or paged', () => {
    const a = books.listFingerprint({ filters: { pages: '1', title: 'x' }, ordering: 'title', limit: 5 });
    expect(books.listFingerprint({ filters: { title: 'x', pages: '1' }, ordering: ' title ', offset: 10 })).toBe(a);
    expect(books.listFingerprint({ filters: { title: 'y', pages: '1' }, ordering: 'title' })).not.toBe(a);
    expect(books.listFingerprint({ filters: { title: 'x', pages: '1' }, ordering: '-title' })).not.toBe(a);
  });
});
