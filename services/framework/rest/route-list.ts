/**
 * The routes an express router serves, with full path patterns (`/api/products/:lookup`),
 * read from the router itself (router 2's `listRoutes`, recursing into mounted routers), so
 * the OpenAPI document and the request log cannot drift from what is actually routed.
 */
import type { Router } from 'express';

export interface ListedRoute {
  /** The full pattern, express syntax: `/api/products/:lookup`. */
  path: string;
  /** Lower-case methods, `all` for `.all()` handlers; `head` only when registered itself. */
  methods: string[];
  /** The router the route is registered on, and the route's path there. */
  router: Router;
  localPath: string;
}

interface RouterListing {
  path: string | RegExp;
  methods: string[] | undefined;
  router: Router | undefined;
}

type Listable = Router & { listRoutes?: () => RouterListing[] };

/** Joins mount paths without doubled or trailing slashes: ('/api', '/') -> '/api'. */
export function joinPaths(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Every route of `router` (and of the routers mounted in it), prefixed with `prefix`. */
export function listRoutes(router: Router, prefix = ''): ListedRoute[] {
  const listable = router as Listable;
  if (typeof listable.listRoutes !== 'function') throw new Error('this express router cannot list its routes (express 5 with router >= 2.3 is needed)');
  const routes: ListedRoute[] = [];
  for (const entry of listable.listRoutes()) {
    // Regular-expression paths have no pattern to show; we register none.
    if (typeof entry.path !== 'string') continue;
    const path = joinPaths(prefix, entry.path);
    if (entry.router) routes.push(...listRoutes(entry.router, path));
    else if (entry.methods) routes.push({ path, methods: entry.methods.map((m) => (m === '*' ? 'all' : m.toLowerCase())), router, localPath: entry.path });
  }
  return routes;
}

/** Mount points of routers (`/api`, `/api/products`), longest first: the label of an unrouted path under them. */
export function listMounts(router: Router, prefix = ''): string[] {
  const mounts: string[] = [];
  for (const entry of (router as Listable).listRoutes?.() ?? []) {
    if (typeof entry.path !== 'string' || !entry.router) continue;
    const path = joinPaths(prefix, entry.path);
    mounts.push(path, ...listMounts(entry.router, path));
  }
  return mounts.sort((a, b) => b.length - a.length);
}

/**
 * Finds the route pattern a request path falls under, for metrics and logs: the matching
 * route's pattern, else `<mount>/*` for the innermost mounted router, else `unmatched`. The
 * values are bounded by the routes, whatever paths clients send.
 */
export function routeMatcher(router: Router): (path: string) => string {
  const patterns = [...new Set(listRoutes(router).map((r) => r.path))].map((pattern) => ({ pattern, regexp: patternRegExp(pattern) }));
  const mounts = [...new Set(listMounts(router))];
  return (path) => {
    const found = patterns.find((p) => p.regexp.test(path));
    if (found) return found.pattern;
    const mount = mounts.find((m) => path === m || path.startsWith(`${m}/`));
    return mount ? `${mount}/*` : 'unmatched';
  };
}

export function patternRegExp(pattern: string): RegExp {
  const source = pattern
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  // Express matches case-insensitively and tolerates a trailing slash.
  return new RegExp(`^${source}/?$`, 'i');
}
