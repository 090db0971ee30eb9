/**
 * The generic gRPC List, AIP style, through a raw grpc-js client against a real server on a
 * SQLite file and a PostgreSQL database: filter, order_by, search, page tokens walked to the
 * end, total_size, and INVALID_ARGUMENT for what it cannot honour. The grammar's parsers
 * are checked on their own at the end.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseFilter, parseOrderBy } from '../index.js';
import { DIALECTS } from '../../../test/support/databases.js';
import { startLibrary, type Library } from '../../../test/support/library.js';

const TITLES = ['Dune', 'Dune Messiah', 'Children of Dune', 'Emma', 'Persuasion', 'The Hobbit', 'Mansfield Park'];

describe.each(DIALECTS)('on %s', (dialect) => {
  let lib: Library;

  beforeAll(async () => {
    lib = await startLibrary({ dialect });
    for (const [i, title] of TITLES.entries()) await lib.call('Create', { title, pages: 100 + (i % 3) * 100 });
  });

  afterAll(async () => {
    await lib?.close();
  });

  const titles = async (request: object): Promise<string[]> => ((await lib.call('List', request)).items as { title: string }[]).map((b) => b.title);

  async function refusal(request: object): Promise<string> {
    const err = await lib.call('List', request).then(
      (res) => {
        throw new Error(`expected INVALID_ARGUMENT, got ${JSON.stringify(res)}`);
      },
      (e: grpc.ServiceError) => e,
    );
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    return err.details;
  }

  it('filters, orders and searches as the REST list does', async () => {
    expect(await titles({ filter: 'pages = 200' })).toEqual(['Dune Messiah', 'Persuasion']);
    expect(await titles({ filter: 'pages = 200 and title = "Dune Messiah"' })).toEqual(['Dune Messiah']);
    expect(await titles({ filter: 'title = "Children of Dune"' })).toEqual(['Children of Dune']);
    expect(await titles({ orderBy: 'pages desc, title', limit: 3 })).toEqual(['Children of Dune', 'The Hobbit', 'Dune Messiah']);
    expect(await titles({ search: 'dune', orderBy: 'title desc' })).toEqual(['Dune Messiah', 'Dune', 'Children of Dune']);
    expect(await titles({ search: 'dune', filter: 'pages=300' })).toEqual(['Children of Dune']);
  });

  it('walks pages by token to the end, with total_size', async () => {
    const request = { search: 'e', orderBy: 'title desc', pageSize: 2 };
    const all = await titles({ search: 'e', orderBy: 'title desc' });
    expect(all.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let token = '';
    for (let pages = 1; ; pages += 1) {
      expect(pages).toBeLessThanOrEqual(all.length);
      const page = await lib.call('List', { ...request, pageToken: token });
      expect(page.totalSize).toBe(all.length);
      seen.push(...page.items.map((b: { title: string }) => b.title));
      token = page.nextPageToken;
      if (token === '') break;
    }
    expect(seen).toEqual(all);
  });

  it('keeps limit and offset, and gives them a next token too', async () => {
    const page = await lib.call('List', { limit: 2, offset: 1 });
    expect(page.items.map((b: { title: string }) => b.title)).toEqual([...TITLES].sort().slice(1, 3));
    expect(page.totalSize).toBe(TITLES.length);
    const next = await lib.call('List', { pageToken: page.nextPageToken, pageSize: 10 });
    expect(next.items.map((b: { title: string }) => b.title)).toEqual([...TITLES].sort().slice(3));
    expect(next.nextPageToken).toBe('');
    expect((await lib.call('List', {})).nextPageToken).toBe('');
  });

  it('refuses a token issued for another query', async () => {
    const first = await lib.call('List', { filter: 'pages = 100', pageSize: 1 });
    expect(first.nextPageToken).not.toBe('');
    expect(await refusal({ filter: 'pages = 200', pageSize: 1, pageToken: first.nextPageToken })).toBe(
      'page_token: was issued for another filter, order_by or search: send the same ones as for the first page, or start again without page_token',
    );
    expect(await refusal({ filter: 'pages = 100', orderBy: 'title desc', pageToken: first.nextPageToken })).toMatch(/^page_token: was issued for another/);
    // The same query spelled differently is the same query.
    expect((await lib.call('List', { filter: 'pages=100', pageSize: 1, pageToken: first.nextPageToken })).items).toHaveLength(1);
  });

  it.each([
    [{ pageToken: 'not-a-token' }, 'page_token: is not a token this list issued: send the next_page_token of the previous page, or none for the first'],
    [{ pageSize: 101 }, 'page_size: must be an integer from 1 to 100 (0 or unset: 100)'],
    [{ pageSize: -1 }, 'page_size: must be an integer from 1 to 100 (0 or unset: 100)'],
    [{ pageSize: 2, limit: 2 }, 'limit: cannot be combined with page_size: use page_size and page_token, or limit and offset'],
    [{ filter: 'price = 3' }, "filter: 'price' is not a filter field (expected id, title, isbn, pages, created_at)"],
    [{ filter: 'pages = lots' }, "pages: 'lots' is not a whole number"],
    [{ filter: 'pages > 3' }, "filter: expected '=' at character 7 (the grammar: field = value [AND field = value]…, a value quoted when it has spaces)"],
    [{ orderBy: 'price desc' }, "order_by: 'price' is not an ordering field (expected id, title, isbn, pages, created_at, each optionally followed by asc or desc)"],
    [{ orderBy: 'title downwards' }, "order_by: 'title downwards' is not 'field', 'field asc' or 'field desc'"],
    [{ search: 'x'.repeat(201) }, 'search: must be at most 200 characters'],
  ])('refuses %o with INVALID_ARGUMENT naming what is allowed', async (request, message) => {
    expect(await refusal(request)).toBe(message);
  });
});

describe('the filter grammar', () => {
  it('reads terms joined by AND, bare or quoted', () => {
    expect(parseFilter('')).toEqual({});
    expect(parseFilter('  title="A \\"quoted\\" \\\\ title"  AND  pages = 3 and isbn=0441013597 ')).toEqual({ title: 'A "quoted" \\ title', pages: '3', isbn: '0441013597' });
    expect(parseFilter('title = ""')).toEqual({ title: '' });
    // Names an object's prototype has are plain names here, left to the resource to refuse.
    expect(Object.entries(parseFilter('constructor = x AND __proto__ = y AND toString = z'))).toEqual([
      ['constructor', 'x'],
      ['__proto__', 'y'],
      ['toString', 'z'],
    ]);
  });

  it.each([
    ['title', "filter: expected '=' at character 6"],
    ['title =', 'filter: expected a value at character 8'],
    ['title = "open', 'filter: expected a closing \'"\' at character 14'],
    ['title = a OR pages = 3', 'filter: expected AND or the end at character 11'],
    ['title = a AND', 'filter: expected a field name at character 14'],
    ['= 3', 'filter: expected a field name at character 1'],
    ['title = "a\\b"', "filter: expected '\\\"' or '\\\\' after '\\' at character 12"],
    ['title = a AND title = b', 'filter: names title twice'],
  ])('refuses %s', (filter, message) => {
    expect(() => parseFilter(filter)).toThrow(message);
  });

  it('reads order_by into the ordering syntax', () => {
    expect(parseOrderBy('')).toBeUndefined();
    expect(parseOrderBy('pages DESC, title asc,isbn')).toBe('-pages,title,isbn');
    expect(() => parseOrderBy('pages,')).toThrow("order_by: '' is not 'field', 'field asc' or 'field desc'");
  });
});
