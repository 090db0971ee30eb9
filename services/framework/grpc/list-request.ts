/**
 * A gRPC List request, Google AIP style (AIP-132, -158, -160): `page_size` and
 * `page_token`, `filter`, `order_by`, plus `search`, on top of the older `limit` and
 * `offset`, which keep working. The resource checks names and values, so a list answers
 * the same rows over gRPC as over REST.
 *
 * - filter: `field = value` terms joined by AND (any case). A value is a bare word or a
 *   double-quoted string with `\"` and `\\` escapes: `title = "Dune Messiah" AND likes = 3`.
 * - order_by: `likes desc, title` (asc is the default).
 * - page_token: opaque to clients; it holds the next offset and a hash of the filter,
 *   order_by and search it was issued for, so reusing it with another query is
 *   INVALID_ARGUMENT rather than a page of some other list.
 */
import { createHash } from 'node:crypto';

import { AppError } from '../errors.js';
import type { ListOptions, ListQuery } from '../model/list-query.js';

/** The List request fields this reads (camelCase, as the loader hands them over). */
export interface ListMessage {
  limit?: number;
  offset?: number;
  pageSize?: number;
  pageToken?: string;
  filter?: string;
  orderBy?: string;
  search?: string;
}

const MAX_FILTER = 2000;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** `title = "Dune" AND likes = 3` -> { title: 'Dune', likes: '3' }. */
export function parseFilter(filter: string): Record<string, string> {
  const filters: Record<string, string> = Object.create(null);
  if (filter.trim() === '') return filters;
  if (filter.length > MAX_FILTER) throw AppError.invalid('filter', `must be at most ${MAX_FILTER} characters`);
  let at = 0;
  const fail = (expected: string): never => {
    throw AppError.invalid('filter', `expected ${expected} at character ${at + 1} (the grammar: field = value [AND field = value]…, a value quoted when it has spaces)`);
  };
  const space = () => {
    while (at < filter.length && /\s/.test(filter[at])) at += 1;
  };
  for (;;) {
    space();
    NAME.lastIndex = at;
    const name = NAME.exec(filter)?.[0] ?? fail('a field name');
    at += name.length;
    space();
    if (filter[at] !== '=') fail("'='");
    at += 1;
    space();
    let value = '';
    if (filter[at] === '"') {
      at += 1;
      for (;;) {
        if (at >= filter.length) fail('a closing \'"\'');
        const c = filter[at];
        if (c === '"') break;
        if (c === '\\') {
          at += 1;
          if (filter[at] !== '"' && filter[at] !== '\\') fail("'\\\"' or '\\\\' after '\\'");
        }
        value += filter[at];
        at += 1;
      }
      at += 1;
    } else {
      const start = at;
      while (at < filter.length && !/[\s"]/.test(filter[at])) at += 1;
      if (at === start) fail('a value');
      value = filter.slice(start, at);
    }
    if (Object.hasOwn(filters, name)) throw AppError.invalid('filter', `names ${name} twice`);
    filters[name] = value;
    space();
    if (at >= filter.length) return filters;
    const and = /^and\b/i.exec(filter.slice(at, at + 4));
    if (!and) fail("AND or the end");
    at += 3;
  }
}

/** `likes desc, title` -> `-likes,title` (the resource's ordering syntax). */
export function parseOrderBy(orderBy: string): string | undefined {
  if (orderBy.trim() === '') return undefined;
  if (orderBy.length > 500) throw AppError.invalid('order_by', 'must be at most 500 characters');
  return orderBy
    .split(',')
    .map((part) => {
      const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(part);
      if (!match) throw AppError.invalid('order_by', `'${part.trim().slice(0, 100)}' is not 'field', 'field asc' or 'field desc'`);
      return (match[2]?.toLowerCase() === 'desc' ? '-' : '') + match[1];
    })
    .join(',');
}

function queryHash(fingerprint: string): string {
  return createHash('sha256').update(fingerprint).digest('base64url').slice(0, 16);
}

export function pageToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: queryHash(fingerprint) })).toString('base64url');
}

/** The offset a token stands for, if it was issued for this query. */
export function readPageToken(token: string, fingerprint: string): number {
  let parsed: { o?: unknown; q?: unknown } | undefined;
  try {
    parsed = token.length <= 200 ? JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || !Number.isSafeInteger(parsed.o) || (parsed.o as number) < 0 || typeof parsed.q !== 'string') {
    throw AppError.invalid('page_token', 'is not a token this list issued: send the next_page_token of the previous page, or none for the first');
  }
  if (parsed.q !== queryHash(fingerprint)) {
    throw AppError.invalid('page_token', 'was issued for another filter, order_by or search: send the same ones as for the first page, or start again without page_token');
  }
  return parsed.o as number;
}

function list(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : 'none';
}

/**
 * The list query the message asks for (before the page). Field names are checked here, so
 * the refusal speaks of `filter` and `order_by` as the client wrote them.
 */
export function listQueryOf(message: ListMessage, options: ListOptions): ListQuery {
  const filters = parseFilter(message.filter ?? '');
  for (const name of Object.keys(filters)) {
    if (!options.filterFields.includes(name)) throw AppError.invalid('filter', `'${name.slice(0, 100)}' is not a filter field (expected ${list(options.filterFields)})`);
  }
  const ordering = parseOrderBy(message.orderBy ?? '');
  for (const name of ordering?.split(',') ?? []) {
    if (!options.orderingFields.includes(name.replace(/^-/, ''))) {
      throw AppError.invalid('order_by', `'${name.replace(/^-/, '').slice(0, 100)}' is not an ordering field (expected ${list(options.orderingFields)}, each optionally followed by asc or desc)`);
    }
  }
  return { filters, ordering, search: message.search ?? '' };
}
