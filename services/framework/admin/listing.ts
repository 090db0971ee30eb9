/**
 * The list parameters of an admin page, read from its URL and handed to the resource's own
 * list query (model/resource.ts: search, ordering, filters, paging), so the admin and the
 * API's lists answer the same way and refuse the same fields with the same messages.
 */
import { AppError } from '../errors.js';
import type { ListQuery } from '../model/resource.js';
import type { ListState } from './pages/list-page.js';

/** The largest page the admin shows (also bounded by the resource's maxPageSize). */
export const ADMIN_MAX_PAGE = 100;
export const ADMIN_PAGE = 25;

function one(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw AppError.invalid(name, 'must be given once');
  return value;
}

function positive(query: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const raw = one(query, name);
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= max)) throw AppError.invalid(name, `must be a whole number from 1 to ${max}`);
  return value;
}

/** The page's state from its query string; INVALID_ARGUMENT for values no list could take. */
export function listState(query: Record<string, unknown>, maxPageSize: number, filterFields: readonly string[]): ListState {
  const filters: Record<string, string> = {};
  for (const field of filterFields) {
    const value = one(query, `f_${field}`);
    if (value !== undefined && value !== '') filters[field] = value;
  }
  return {
    search: (one(query, 'search') ?? '').slice(0, 200),
    ordering: one(query, 'ordering') ?? '',
    filters,
    page: positive(query, 'page', 1, 1_000_000),
    perPage: positive(query, 'per_page', Math.min(ADMIN_PAGE, maxPageSize), Math.min(ADMIN_MAX_PAGE, maxPageSize)),
  };
}

export function listQuery(state: ListState): ListQuery {
  return {
    limit: state.perPage,
    offset: (state.page - 1) * state.perPage,
    ...(state.search ? { search: state.search } : {}),
    ...(state.ordering ? { ordering: state.ordering } : {}),
    ...(Object.keys(state.filters).length > 0 ? { filters: state.filters } : {}),
  };
}
