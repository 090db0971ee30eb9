/**
 * A list request's query string, DRF style: `?search=`, `?ordering=`, a filter per field
 * (`?title=Pen`, `?likes=3`), and either `?limit=&offset=` (a bare array, as the tutorial's
 * clients expect) or `?page=&page_size=` (DRF's PageNumberPagination: `{count, next,
 * previous, results}`, with absolute links that keep the other parameters).
 *
 * An empty filter value (`?title=`, what an HTML form sends for a blank field) is no filter,
 * as in django-filter; every other bad value is a 400 naming the parameter.
 */
import type { Request } from 'express';
import type { Model } from 'sequelize';

import { AppError } from '../errors.js';
import { LIST_PARAMS } from '../model/list-query.js';
import type { ListQuery, ModelResource } from '../model/resource.js';

// The list's own parameters are LIST_PARAMS; every other query parameter is a filter.
export { LIST_PARAMS };

export interface PageRequest {
  /** 1-based, or the last page. */
  number: number | 'last';
  size: number;
}

export interface ListRequest {
  query: ListQuery;
  /** Set when the client asked for a page (`?page=`). */
  page?: PageRequest;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

function single(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw AppError.invalid(name.slice(0, 100), 'must be given once');
  return raw;
}

function wholeNumber(req: Request, name: string, min: number, max?: number): number | undefined {
  const raw = single(req, name);
  if (raw === undefined) return undefined;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || (max !== undefined && value > max)) {
    throw AppError.invalid(name, max === undefined ? (min === 0 ? 'must be a non-negative integer' : `must be a whole number from ${min}`) : `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Reads a list's query string; the resource checks the field names and values. */
export function parseListRequest<M extends Model>(resource: ModelResource<M>, req: Request): ListRequest {
  const filters: Record<string, string> = {};
  for (const name of Object.keys(req.query)) {
    if ((LIST_PARAMS as readonly string[]).includes(name)) continue;
    const value = single(req, name)!;
    if (value !== '') filters[name] = value;
  }
  const query: ListQuery = { search: single(req, 'search'), ordering: single(req, 'ordering'), filters };
  const rawPage = single(req, 'page');
  const pageSize = wholeNumber(req, 'page_size', 1, resource.maxPageSize);
  if (rawPage === undefined) {
    if (pageSize !== undefined) throw AppError.invalid('page_size', 'needs page (page=1 for the first page)');
    return { query: { ...query, limit: wholeNumber(req, 'limit', 0), offset: wholeNumber(req, 'offset', 0) } };
  }
  if (req.query.limit !== undefined || req.query.offset !== undefined) {
    throw AppError.invalid(req.query.limit !== undefined ? 'limit' : 'offset', 'cannot be combined with page: use page and page_size, or limit and offset');
  }
  const number = rawPage === 'last' ? 'last' : /^\d{1,16}$/.test(rawPage) ? Number(rawPage) : NaN;
  if (number !== 'last' && !(Number.isSafeInteger(number) && number >= 1)) throw AppError.invalid('page', "must be a whole number from 1, or 'last'");
  return { query, page: { number, size: pageSize ?? resource.pageSize } };
}

/** The absolute URL of this request with another page number, the other parameters kept in place. */
function pageUrl(req: Request, page: number): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  url.searchParams.set('page', String(page));
  return url.toString();
}

/**
 * One page of a list and its links. A page past the last is 404, as in DRF; page 1 of an
 * empty list is an empty page.
 */
export async function listPage<M extends Model, T>(resource: ModelResource<M>, req: Request, query: ListQuery, page: PageRequest, show: (item: M) => T): Promise<Page<T>> {
  const count = await resource.count(query);
  const pages = Math.max(1, Math.ceil(count / page.size));
  const number = page.number === 'last' ? pages : page.number;
  if (number > pages) throw AppError.notFound(`page ${number} does not exist: the list has ${pages} page${pages === 1 ? '' : 's'} of ${page.size}`);
  const items = await resource.list({ ...query, limit: page.size, offset: (number - 1) * page.size });
  return {
    count,
    next: number < pages ? pageUrl(req, number + 1) : null,
    // Page 1 keeps its `page=1`: without `page` the list answers a bare array.
    previous: number > 1 ? pageUrl(req, number - 1) : null,
    results: items.map(show),
  };
}
