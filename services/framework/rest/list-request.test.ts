/**
 * REST lists, DRF style, on a real express app over a SQLite file and a PostgreSQL database:
 * search, ordering, filters, the bare array without `page` and the page object with it, and
 * the refusals (400 naming the allowed values, 404 past the last page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DIALECTS } from '../../../test/support/databases.js';
import { startLibrary, type Library } from '../../../test/support/library.js';

const TITLES = ['Dune', 'Dune Messiah', 'Children of Dune', 'Emma', 'Persuasion', 'The Hobbit', '50% off_sale'];

describe.each(DIALECTS)('on %s', (dialect) => {
  let lib: Library;

  beforeAll(async () => {
    lib = await startLibrary({ dialect });
    for (const [i, title] of TITLES.entries()) {
      const res = await lib.rest('POST', '/api/books', { title, pages: 100 + (i % 3) * 100 });
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    await lib?.close();
  });

  const titles = async (query: string): Promise<string[]> => {
    const res = await lib.rest('GET', `/api/books${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (Array.isArray(res.body) ? res.body : res.body.results).map((b: { title: string }) => b.title);
  };

  it('answers a bare array without page, in the default ordering', async () => {
    const res = await lib.rest('GET', '/api/books');
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.map((b: { title: string }) => b.title)).toEqual([...TITLES].sort());
  });

  it('searches, orders and filters from the query string', async () => {
    expect(await titles('?search=DUNE')).toEqual(['Children of Dune', 'Dune', 'Dune Messiah']);
    expect(await titles('?search=dune%20messiah')).toEqual(['Dune Messiah']);
    expect(await titles('?search=50%25')).toEqual(['50% off_sale']);
    expect(await titles('?ordering=-title&limit=2')).toEqual(['The Hobbit', 'Persuasion']);
    expect(await titles('?ordering=-pages,title&limit=3')).toEqual(['Children of Dune', 'The Hobbit', 'Dune Messiah']);
    expect(await titles('?pages=200')).toEqual(['Dune Messiah', 'Persuasion']);
    expect(await titles('?pages=200&search=dune')).toEqual(['Dune Messiah']);
    expect(await titles('?title=Emma')).toEqual(['Emma']);
    // A blank filter (an HTML form's empty field) is no filter.
    expect(await titles('?title=&pages=300')).toEqual(['Children of Dune', 'The Hobbit']);
  });

  it('pages DRF style with absolute links that keep the other parameters', async () => {
    const first = await lib.rest('GET', '/api/books?search=e&ordering=title&page=1&page_size=2');
    expect(first.status).toBe(200);
    const all = await titles('?search=e&ordering=title');
    expect(first.body).toEqual({
      count: all.length,
      next: `${lib.restUrl}/api/books?search=e&ordering=title&page=2&page_size=2`,
      previous: null,
      results: expect.any(Array),
    });
    // Walk the next links to the end: every item once, in order.
    const seen: string[] = [];
    let body = first.body;
    let pages = 1;
    for (;;) {
      seen.push(...body.results.map((b: { title: string }) => b.title));
      if (body.next === null) break;
      const res = await lib.rest('GET', body.next.slice(lib.restUrl.length));
      expect(res.body.previous).toBe(`${lib.restUrl}/api/books?search=e&ordering=title&page=${pages}&page_size=2`);
      body = res.body;
      pages += 1;
      expect(pages).toBeLessThanOrEqual(all.length);
    }
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
    const last = await lib.rest('GET', '/api/books?search=e&ordering=title&page=last&page_size=2');
    expect(last.body).toEqual({ ...body, next: null, previous: body.previous.replace(/page=\d+/, `page=${pages - 1}`) });
  });

  it('uses the default page size, and page 1 of nothing is an empty page', async () => {
    const res = await lib.rest('GET', '/api/books?page=1');
    expect(res.body).toMatchObject({ count: TITLES.length, next: null, previous: null });
    expect(res.body.results).toHaveLength(TITLES.length);
    expect((await lib.rest('GET', '/api/books?search=zzz&page=1')).body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('answers 404 past the last page, as DRF does', async () => {
    const res = await lib.rest('GET', '/api/books?page=5&page_size=2');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'NOT_FOUND', message: `page 5 does not exist: the list has ${Math.ceil(TITLES.length / 2)} pages of 2` });
  });

  it.each([
    ['?page=0', 'page: must be a whole number from 1, or \'last\''],
    ['?page=abc', "page: must be a whole number from 1, or 'last'"],
    ['?page=1&page_size=0', 'page_size: must be a whole number from 1 to 100'],
    ['?page=1&page_size=101', 'page_size: must be a whole number from 1 to 100'],
    ['?page_size=5', 'page_size: needs page (page=1 for the first page)'],
    ['?page=1&limit=5', 'limit: cannot be combined with page: use page and page_size, or limit and offset'],
    ['?page=1&page=2', 'page: must be given once'],
    ['?ordering=price', "ordering: 'price' is not an ordering field (expected id, title, isbn, pages, created_at, each optionally prefixed with '-')"],
    ['?pages=many', "pages: 'many' is not a whole number"],
    ['?id=42', "id: '42' is not a valid UUID"],
    ['?search=%00', 'search: contains the control character U+0000'],
    ['?price=3', 'price: unknown query parameter (expected search, ordering, id, title, isbn, pages, created_at, page, page_size, limit, offset)'],
  ])('refuses %s with 400 naming what is allowed', async (query, message) => {
    const res = await lib.rest('GET', `/api/books${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_ARGUMENT', message });
  });
});
