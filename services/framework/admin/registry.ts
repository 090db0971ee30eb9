/**
 * Which resources the admin shows. A model view set registers its resource as it is built
 * (rest/model-viewset.ts), so the admin finds every resource the REST API already exposes by
 * walking the API router, with the path it is served on: a scaffolded service has an admin
 * with no code of its own. A resource the API does not expose as a view set (the dashboard's
 * users) is added with `adminResource`.
 *
 * @example
 *   router.use('/products', modelViewSet(products));                        // found by itself
 *   adminResource(router, '/users', users, ['list', 'retrieve', 'create']);  // shown, not routed
 */
import type { Model } from 'sequelize';

import type { ModelResource } from '../model/resource.js';
import type { Router } from '../rest/express.js';
import type { ViewAction } from '../rest/model-viewset.js';
import { joinPaths, listRoutes } from '../rest/route-list.js';

/** A column the admin adds to a resource's list and detail pages (values computed per page). */
export interface AdminColumn {
  name: string;
  label: string;
  /** The cell of each lookup value, for the objects on one page (at most one page's worth). */
  values(lookups: string[]): Promise<Map<string, ColumnCell>>;
}

/** A computed cell: its text, and optionally a badge style (synced, pending, failed). */
export interface ColumnCell {
  text: string;
  badge?: 'synced' | 'pending' | 'failed';
}

export interface AdminOptions {
  /** Extra columns, e.g. the product service's sync state of each copy. */
  columns?: AdminColumn[];
}

export interface AdminEntry {
  resource: ModelResource<Model>;
  /** The view actions the admin may offer: never more than the API allows. */
  actions: readonly ViewAction[];
  options: AdminOptions;
}

/** An entry with where it lives: `slug` names its pages (/admin/products). */
export interface FoundEntry extends AdminEntry {
  slug: string;
}

const MARK = Symbol.for('mgrpc.admin.entry');
const EXTRA = Symbol.for('mgrpc.admin.extra');
type Marked = { [MARK]?: AdminEntry; [EXTRA]?: { path: string; entry: AdminEntry }[] };

/** Called by modelViewSet: marks its router as serving `resource`. */
export function markForAdmin<M extends Model>(router: Router, resource: ModelResource<M>, actions: readonly ViewAction[], options: AdminOptions = {}): void {
  (router as Marked)[MARK] = { resource: resource as unknown as ModelResource<Model>, actions, options };
}

/** Shows `resource` in the admin at `path` (relative to the API router) without routing it under /api. */
export function adminResource<M extends Model>(router: Router, path: string, resource: ModelResource<M>, actions: readonly ViewAction[], options: AdminOptions = {}): void {
  const marked = router as Marked;
  (marked[EXTRA] ??= []).push({ path, entry: { resource: resource as unknown as ModelResource<Model>, actions, options } });
}

function slugOf(path: string): string {
  return path.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9_-]+/g, '-').toLowerCase();
}

/** Every resource under `api`, in the order the API routes them. */
export function findAdminEntries(api: Router): FoundEntry[] {
  const found: FoundEntry[] = [];
  const seen = new Set<string>();
  const add = (path: string, entry: AdminEntry) => {
    const slug = slugOf(path);
    // The admin's own page names: a resource served at /api/static would hide the stylesheet.
    if (!slug || seen.has(slug) || RESERVED.has(slug)) return;
    seen.add(slug);
    found.push({ ...entry, slug });
  };
  for (const route of listRoutes(api)) {
    const entry = (route.router as Marked)[MARK];
    if (entry && route.localPath === '/') add(route.path, entry);
  }
  const visit = (router: Router, prefix: string) => {
    for (const extra of (router as Marked)[EXTRA] ?? []) add(joinPaths(prefix, extra.path), extra.entry);
  };
  visit(api, '');
  return found;
}

/** Paths of the admin itself. */
export const RESERVED = new Set(['static', 'login', 'logout', 'outbox']);
