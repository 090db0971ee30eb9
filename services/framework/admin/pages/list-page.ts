/**
 * A resource's list: search box, filters, sortable column headings, a page of rows and the
 * pager. Every link keeps the other parameters, so sorting keeps the search and so on.
 */
import { html, type Html } from '../html.js';
import { cellContent, isNumeric, labelOf, shownCell, shownValue } from './cells.js';
import type { ColumnCell } from '../registry.js';

export interface ListState {
  search: string;
  ordering: string;
  filters: Record<string, string>;
  page: number;
  perPage: number;
}

export interface ListView {
  slug: string;
  label: string;
  columns: string[];
  extraColumns: { name: string; label: string }[];
  rows: { lookup: string; json: Record<string, unknown>; extra: Map<string, ColumnCell> }[];
  total: number;
  state: ListState;
  options: { searchFields: string[]; orderingFields: string[]; filterFields: string[] };
  canCreate: boolean;
  lookupColumn: string;
  notice?: string;
  error?: string;
}

export function listHref(slug: string, state: ListState, change: Partial<ListState> = {}): string {
  const next = { ...state, ...change };
  const params = new URLSearchParams();
  if (next.search) params.set('search', next.search);
  if (next.ordering) params.set('ordering', next.ordering);
  for (const [field, value] of Object.entries(next.filters)) if (value !== '') params.set(`f_${field}`, value);
  if (next.page > 1) params.set('page', String(next.page));
  if (next.perPage !== 25) params.set('per_page', String(next.perPage));
  const query = params.toString();
  return `/admin/${slug}${query ? `?${query}` : ''}`;
}

function heading(view: ListView, column: string): Html {
  if (!view.options.orderingFields.includes(column)) return html`<th>${labelOf(column)}</th>`;
  const current = view.state.ordering.split(',')[0] ?? '';
  const ascending = current === column;
  const descending = current === `-${column}`;
  const ordering = ascending ? `-${column}` : column;
  const arrow = ascending ? ' ▲' : descending ? ' ▼' : '';
  return html`<th><a href="${listHref(view.slug, view.state, { ordering, page: 1 })}" data-sort="${column}">${labelOf(column)}${arrow}</a></th>`;
}

export function listPage(view: ListView): Html {
  const { state } = view;
  const pages = Math.max(1, Math.ceil(view.total / state.perPage));
  const ids = view.rows.map((r) => r.lookup);
  const live = ids.length > 0 ? `/admin/${view.slug}/rows.json?${new URLSearchParams({ ids: ids.join(',') })}` : undefined;
  const first = (state.page - 1) * state.perPage + 1;
  return html`
${view.notice ? html`<div class="notice" role="status">${view.notice}</div>` : ''}
${view.error ? html`<div class="error-box" role="alert">${view.error}</div>` : ''}
<form class="toolbar" method="get" action="/admin/${view.slug}">
  ${view.options.searchFields.length > 0 ? html`<label>Search ${view.options.searchFields.join(', ')}<input type="search" name="search" value="${state.search}" maxlength="200"></label>` : ''}
  ${view.options.filterFields.length > 0
    ? html`<details class="filters"${Object.keys(state.filters).length > 0 ? html` open` : ''}><summary>Filters${Object.keys(state.filters).length > 0 ? ` (${Object.keys(state.filters).length})` : ''}</summary><div class="filter-fields">${view.options.filterFields.map(
        (field) => html`<label>${labelOf(field)}<input type="text" name="f_${field}" value="${state.filters[field] ?? ''}" maxlength="200"></label>`,
      )}</div></details>`
    : ''}
  ${state.ordering ? html`<input type="hidden" name="ordering" value="${state.ordering}">` : ''}
  <button type="submit" class="secondary">Apply</button>
  <a href="/admin/${view.slug}">Reset</a>
  ${view.canCreate ? html`<span class="spacer"></span><a class="button" href="/admin/${view.slug}/new">Add ${view.label}</a>` : ''}
</form>
<table${live ? html` data-live="${live}"` : ''}>
<thead><tr>${view.columns.map((c) => heading(view, c))}${view.extraColumns.map((c) => html`<th>${c.label}</th>`)}</tr></thead>
<tbody>
${view.rows.map(
  (row) => html`<tr data-row="${row.lookup}">${view.columns.map((column) => {
    const shown = shownValue(row.json[column]);
    // A UUID is long and says little: its first 8 characters link to the object, the rest is in the tooltip.
    const short = /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(shown.text) ? `${shown.text.slice(0, 8)}…` : shown.text;
    const content = column === view.lookupColumn ? html`<a class="mono" href="/admin/${view.slug}/${encodeURIComponent(row.lookup)}" title="${shown.text}">${short}</a>` : cellContent(shown);
    return html`<td data-field="${column}" data-value="${shown.value}"${isNumeric(row.json[column]) ? html` class="num"` : shown.time ? html` class="time"` : ''}>${content}</td>`;
  })}${view.extraColumns.map((c) => {
    const shown = shownCell(row.extra.get(c.name));
    return html`<td data-field="${c.name}" data-value="${shown.value}">${cellContent(shown)}</td>`;
  })}</tr>`,
)}
${view.rows.length === 0 && !view.error ? html`<tr><td colspan="${view.columns.length + view.extraColumns.length}" class="muted">Nothing here${state.search || Object.values(state.filters).some(Boolean) ? ' matches' : ' yet'}.</td></tr>` : ''}
</tbody>
</table>
<div class="pager">
  ${state.page > 1 ? html`<a href="${listHref(view.slug, state, { page: state.page - 1 })}" rel="prev">← Previous</a>` : ''}
  <span class="muted">${view.total === 0 ? '0' : `${first}–${first + view.rows.length - 1}`} of ${view.total} · page ${state.page} of ${pages}</span>
  ${state.page < pages ? html`<a href="${listHref(view.slug, state, { page: state.page + 1 })}" rel="next">Next →</a>` : ''}
</div>`;
}
