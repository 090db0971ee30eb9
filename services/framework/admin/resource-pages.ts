/**
 * The pages of one resource: its list, the live values of the rows shown, the create and edit
 * forms and the delete. Every read and write goes through the resource (model/resource.ts),
 * as the API's do: the same validation, the same hooks (the dashboard's outbox sync), the same
 * errors. An error the user can fix re-renders the form with it at its field.
 */
import { createHash } from 'node:crypto';

import type { Request, Response, Router } from 'express';
import type { Attributes, Model, WhereOptions } from 'sequelize';

import { AppError } from '../errors.js';
import { snakeCase } from '../model/casing.js';
import { formFields, formToJSON } from './form.js';
import type { Html } from './html.js';
import { listQuery, listState } from './listing.js';
import { labelOf, shownCell, shownValue, type ShownValue } from './pages/cells.js';
import { listHref, listPage } from './pages/list-page.js';
import type { PageFrame } from './pages/layout.js';
import { objectPage, type ObjectView } from './pages/object-page.js';
import type { ColumnCell, FoundEntry } from './registry.js';

export interface PageKit {
  entries(): FoundEntry[];
  frame(req: Request, res: Response, current?: string): PageFrame;
  csrf(req: Request, res: Response): string;
  send(res: Response, status: number, frame: PageFrame, title: string, body: Html, options?: { script?: boolean }): void;
}

/** Errors a person fixes in the form; anything else is an error page. */
const FORM_ERRORS = new Set(['INVALID_ARGUMENT', 'ALREADY_EXISTS', 'FAILED_PRECONDITION', 'NOT_FOUND']);

const NOTICES: Record<string, string> = { created: 'Created.', saved: 'Saved.', deleted: 'Deleted.' };

export function noticeOf(req: Request): string | undefined {
  const key = req.query.done;
  return typeof key === 'string' ? NOTICES[key] : undefined;
}

/** "title: must not be empty" -> "must not be empty" when the error names its field. */
function problemOf(error: AppError): string {
  return error.field && error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message;
}

async function extraCells(entry: FoundEntry, lookups: string[]): Promise<Map<string, Map<string, ColumnCell>>> {
  const out = new Map<string, Map<string, ColumnCell>>();
  for (const column of entry.options.columns ?? []) out.set(column.name, lookups.length > 0 ? await column.values(lookups) : new Map());
  return out;
}

export function resourcePages(router: Router, kit: PageKit): void {
  const find = (slug: string, action?: 'list' | 'retrieve' | 'create'): FoundEntry => {
    const entry = kit.entries().find((e) => e.slug === slug);
    if (!entry || (action && !entry.actions.includes(action))) throw AppError.notFound(`the admin has no page /admin/${slug.slice(0, 100)}${action === 'create' ? '/new' : ''}`);
    return entry;
  };
  const lookupOf = (entry: FoundEntry, instance: Model) => String(instance.get(entry.resource.lookupField));
  const lookupColumn = (entry: FoundEntry) => snakeCase(entry.resource.lookupField);
  const extraColumns = (entry: FoundEntry) => (entry.options.columns ?? []).map((c) => ({ name: c.name, label: c.label }));

  router.get('/:slug', async (req, res) => {
    const entry = find(req.params.slug!, 'list');
    const list = entry.resource;
    const options = list.listOptions();
    const view = {
      slug: entry.slug,
      label: entry.resource.name,
      columns: entry.resource.serializer.fields.map(snakeCase),
      extraColumns: extraColumns(entry),
      rows: [] as { lookup: string; json: Record<string, unknown>; extra: Map<string, ColumnCell> }[],
      total: 0,
      state: { search: '', ordering: '', filters: {}, page: 1, perPage: 25 },
      options,
      canCreate: entry.actions.includes('create'),
      lookupColumn: lookupColumn(entry),
      notice: noticeOf(req),
      error: undefined as string | undefined,
    };
    let status = 200;
    try {
      view.state = listState(req.query as Record<string, unknown>, entry.resource.maxPageSize, options.filterFields);
      const query = listQuery(view.state);
      const [items, total] = await Promise.all([list.list(query), list.count(query)]);
      // Past the last page (its last rows deleted, an old link): the last page, as Django's
      // paginator's get_page gives, rather than an empty page that says "page 9 of 2".
      const last = Math.max(1, Math.ceil(total / view.state.perPage));
      if (view.state.page > last) {
        res.redirect(303, listHref(entry.slug, view.state, { page: last }));
        return;
      }
      const lookups = items.map((item) => lookupOf(entry, item));
      const extras = await extraCells(entry, lookups);
      view.total = total;
      view.rows = items.map((item, i) => ({
        lookup: lookups[i]!,
        json: entry.resource.serializer.toJSON(item),
        extra: new Map([...extras].map(([name, cells]) => [name, cells.get(lookups[i]!) ?? { text: '—' }])),
      }));
    } catch (err) {
      const error = AppError.from(err);
      if (error.code !== 'INVALID_ARGUMENT') throw err;
      status = 400;
      view.error = error.message;
    }
    kit.send(res, status, kit.frame(req, res, entry.slug), labelOf(entry.slug), listPage(view), { script: view.rows.length > 0 });
  });

  // The values of the rows a page shows, for its live updates (assets/live.ts). Bounded: one page of ids.
  router.get('/:slug/rows.json', async (req, res) => {
    const entry = find(req.params.slug!, 'list');
    const raw = typeof req.query.ids === 'string' ? req.query.ids : '';
    const ids = raw === '' ? [] : raw.split(',');
    if (ids.length > 100) throw AppError.invalid('ids', 'at most 100 ids');
    const lookups = ids.map((id) => entry.resource.parseLookup(id));
    const where = { [entry.resource.lookupField]: lookups } as WhereOptions<Attributes<Model>>;
    const items = lookups.length > 0 ? await entry.resource.model.findAll({ where }) : [];
    const extras = await extraCells(entry, items.map((item) => lookupOf(entry, item)));
    const rows: Record<string, Record<string, ShownValue>> = {};
    for (const item of items) {
      const lookup = lookupOf(entry, item);
      const values: Record<string, ShownValue> = {};
      for (const [field, value] of Object.entries(entry.resource.serializer.toJSON(item))) values[field] = shownValue(value);
      for (const [name, cells] of extras) values[name] = shownCell(cells.get(lookup));
      rows[lookup] = values;
    }
    // An unchanged page costs a 304 and no body: the script sends the last ETag back.
    const body = JSON.stringify({ rows });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    res.set({ 'Cache-Control': 'no-cache', ETag: etag });
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    res.type('json').send(body);
  });

  const objectView = async (req: Request, res: Response, entry: FoundEntry, instance: Model | undefined): Promise<ObjectView> => {
    const s = entry.resource.serializer;
    const json = instance ? s.toJSON(instance) : {};
    const lookup = instance ? lookupOf(entry, instance) : undefined;
    const editable = instance ? entry.actions.includes('update') || entry.actions.includes('partialUpdate') : entry.actions.includes('create');
    const form = editable ? formFields(s) : undefined;
    const extras = lookup ? await extraCells(entry, [lookup]) : new Map<string, Map<string, ColumnCell>>();
    return {
      slug: entry.slug,
      label: entry.resource.name,
      lookup,
      json,
      readOnlyFields: s.fields.map(snakeCase),
      form,
      values: json,
      extra: lookup ? extraColumns(entry).map((c) => ({ ...c, cell: extras.get(c.name)?.get(lookup) })) : [],
      canDelete: entry.actions.includes('destroy'),
      csrf: kit.csrf(req, res),
      notice: noticeOf(req),
    };
  };

  const showObject = (req: Request, res: Response, entry: FoundEntry, view: ObjectView, status = 200) => {
    const title = view.lookup === undefined ? `Add ${entry.resource.name}` : `${labelOf(entry.resource.name)} ${view.lookup}`;
    kit.send(res, status, kit.frame(req, res, entry.slug), title, objectPage(view), { script: view.lookup !== undefined });
  };

  /** Runs a write; an error the user can fix comes back as the form again, with the posted values. */
  const write = async (req: Request, res: Response, entry: FoundEntry, instance: Model | undefined, run: (json: Record<string, unknown>) => Promise<string>) => {
    const fields = formFields(entry.resource.serializer);
    const json = formToJSON(fields, (req.body ?? {}) as Record<string, unknown>);
    try {
      res.redirect(303, await run(json));
    } catch (err) {
      const error = AppError.from(err);
      if (!FORM_ERRORS.has(error.code)) throw err;
      const view = await objectView(req, res, entry, instance);
      const posted: Record<string, unknown> = {};
      for (const field of fields) posted[field.name] = (req.body as Record<string, unknown> | undefined)?.[field.name];
      showObject(req, res, entry, { ...view, values: posted, error: { field: error.field, message: error.field ? problemOf(error) : error.message }, notice: undefined }, error.httpStatus);
    }
  };

  router.get('/:slug/new', async (req, res) => {
    const entry = find(req.params.slug!, 'create');
    showObject(req, res, entry, await objectView(req, res, entry, undefined));
  });

  router.post('/:slug/new', async (req, res) => {
    const entry = find(req.params.slug!, 'create');
    await write(req, res, entry, undefined, async (json) => {
      const created = await entry.resource.create(entry.resource.parse({ json }, 'create'));
      const lookup = encodeURIComponent(lookupOf(entry, created));
      return entry.actions.includes('retrieve') ? `/admin/${entry.slug}/${lookup}?done=created` : `/admin/${entry.slug}?done=created`;
    });
  });

  router.get('/:slug/:lookup', async (req, res) => {
    const entry = find(req.params.slug!, 'retrieve');
    showObject(req, res, entry, await objectView(req, res, entry, await entry.resource.retrieve(req.params.lookup)));
  });

  router.post('/:slug/:lookup', async (req, res) => {
    const entry = find(req.params.slug!, 'retrieve');
    const mode = entry.actions.includes('update') ? 'update' : entry.actions.includes('partialUpdate') ? 'partial' : undefined;
    if (!mode) throw new AppError('METHOD_NOT_ALLOWED', `${entry.resource.name} objects are read-only here: this service's API does not change them`);
    const instance = await entry.resource.retrieve(req.params.lookup);
    await write(req, res, entry, instance, async (json) => {
      const updated = await entry.resource.update(req.params.lookup, entry.resource.parse({ json }, mode));
      return `/admin/${entry.slug}/${encodeURIComponent(lookupOf(entry, updated))}?done=saved`;
    });
  });

  router.post('/:slug/:lookup/delete', async (req, res) => {
    const entry = find(req.params.slug!, 'retrieve');
    if (!entry.actions.includes('destroy')) throw new AppError('METHOD_NOT_ALLOWED', `${entry.resource.name} objects cannot be deleted here: this service's API does not delete them`);
    await entry.resource.destroy(req.params.lookup);
    res.redirect(303, `/admin/${entry.slug}?done=deleted`);
  });
}
