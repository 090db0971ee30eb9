/**
 * The browsable API: a browser (`Accept: text/html` first) that opens an API URL gets an
 * HTML page showing what a JSON client would get (page.ts); every other client gets the
 * JSON as before. It works by wrapping `res.json` for that request, so every answer under
 * /api, errors included, is shown the same way without a handler knowing about HTML.
 * Answers carry `Vary: Accept`, so a cache never hands the page to a JSON client.
 *
 * @example
 *   app.use('/api', browsableApi({ api, service: 'dashboard' }));
 */
import type { Request, RequestHandler, Router } from 'express';

import { toJsonSchema } from '../../openapi/json-schema.js';
import { describedRoute, type HttpMethod, type RouteDescription } from '../../openapi/operations.js';
import { listRoutes, patternRegExp } from '../route-list.js';
import { PAGE_CSP, wantsHtml } from './html.js';
import { renderPage, type PageInput } from './page.js';

interface KnownRoute {
  pattern: string;
  regexp: RegExp;
  described: RouteDescription;
}

const WRITES: HttpMethod[] = ['post', 'put', 'patch', 'delete'];

function exampleValue(schema: Record<string, unknown>): unknown {
  const type = schema.type ?? (Array.isArray(schema.anyOf) ? (schema.anyOf[0] as { type?: unknown }).type : undefined);
  if (type === 'integer' || type === 'number') return 0;
  if (type === 'boolean') return false;
  if (type === 'string') return '';
  return null;
}

/** A body to start from: the current object's writable fields, or each writable field empty. */
function formBody(described: RouteDescription, methods: HttpMethod[], body: unknown): string {
  const spec = methods.map((m) => described[m]?.requestBody).find((b) => b !== undefined);
  if (!spec) return '{}';
  const properties = (toJsonSchema(spec.schema).properties ?? {}) as Record<string, Record<string, unknown>>;
  const current = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const start = Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, current && name in current ? current[name] : exampleValue(schema)]));
  return JSON.stringify(start, null, 2);
}

export function browsableApi(options: { api: Router; service: string; prefix?: string }): RequestHandler {
  const prefix = options.prefix ?? '/api';
  let listed: KnownRoute[] | undefined;
  // Listed on first use: routers may be filled in after the app is made.
  const routes = () =>
    (listed ??= listRoutes(options.api, prefix).map((r) => ({ pattern: r.path, regexp: patternRegExp(r.path), described: describedRoute(r.router, r.localPath) ?? {} })));
  const routeOf = (path: string) => routes().find((r) => r.regexp.test(path));
  // `/api/products` lists the items found at `/api/products/:lookup`.
  const hasItems = (pattern: string) => routes().some((r) => r.pattern.startsWith(`${pattern}/:`) && !r.pattern.slice(pattern.length + 2).includes('/'));

  return (req, res, next) => {
    res.vary('Accept');
    if (!wantsHtml(req)) return next();
    // Captured now: routers below rewrite req.url and req.baseUrl while they route.
    const url = req.originalUrl;
    const path = new URL(url, 'http://x').pathname;
    res.json = (body: unknown) => {
      res.set('Content-Security-Policy', PAGE_CSP).type('html');
      return res.send(renderPage(pageInput(req, url, path, res.statusCode, res.get('Allow'), body)));
    };
    next();
  };

  function pageInput(req: Request, url: string, path: string, status: number, allow: string | undefined, body: unknown): PageInput {
    const origin = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    const root = path === prefix || path === `${prefix}/`;
    const route = root ? undefined : routeOf(path);
    const described = route?.described ?? {};
    const method = req.method === 'HEAD' ? 'get' : (req.method.toLowerCase() as HttpMethod);
    const title = root ? 'API root' : (described[method]?.summary ?? described.get?.summary ?? path);
    const writes = WRITES.filter((m) => described[m] !== undefined);
    const itemBase = route && !route.pattern.includes(':') && hasItems(route.pattern) ? path.replace(/\/$/, '') : undefined;
    return {
      service: options.service,
      method: req.method,
      url,
      origin,
      status,
      // As DRF's page shows it: what this URL takes, from the route's description when no 405 said it.
      headers: allow ? { Allow: allow } : route ? { Allow: Object.keys(described).map((m) => m.toUpperCase()).join(', ') } : {},
      body,
      title,
      itemBase,
      form: writes.length > 0 ? { url: path, methods: writes.map((m) => m.toUpperCase()), body: formBody(described, writes, status < 400 ? body : undefined) } : undefined,
    };
  }
}
