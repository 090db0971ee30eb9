/**
 * Where a newcomer lands. `GET /api/` is DRF's API root: every collection the API serves
 * (a route without a path parameter), by name, as an absolute URL. `GET /` is the site's
 * index: the API root, the schema, both docs pages and the admin, as a small HTML page for
 * a browser and JSON for everyone else.
 *
 * @example
 *   curl localhost:10008/api/   # {"products":"http://localhost:10008/api/products","user":"http://localhost:10008/api/user"}
 */
import type { Request, RequestHandler, Router } from 'express';

import { ASSET_PATH, escapeHtml, PAGE_CSP, wantsHtml } from './browsable/html.js';
import { listRoutes } from './route-list.js';

function origin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The API's collections: `/api/products` -> "products", `/api/products/:id/like` left out. */
export function apiCollections(api: Router, prefix = '/api'): Map<string, string> {
  const collections = new Map<string, string>();
  for (const route of listRoutes(api, prefix)) {
    if (route.path.includes(':') || route.path === prefix || !route.methods.some((m) => m === 'get')) continue;
    collections.set(route.path.slice(prefix.length + 1), route.path);
  }
  return collections;
}

/** GET /api/: `{ "products": "http://host/api/products", … }`. */
export function apiRoot(api: Router): RequestHandler {
  let collections: Map<string, string> | undefined;
  return (req, res) => {
    // Listed on first use: routers may be filled in after the app is made.
    collections ??= apiCollections(api);
    res.json(Object.fromEntries([...collections].map(([name, path]) => [name, `${origin(req)}${path}`])));
  };
}

const SITE_LINKS: [string, string, string][] = [
  ['api', '/api/', 'the API root: every collection, browsable from here'],
  ['schema', '/api/schema/', 'the OpenAPI document'],
  ['docs', '/api/v1/doc/', 'Swagger UI'],
  ['redoc', '/api/v1/redoc/', 'Redoc'],
  ['admin', '/admin/', 'the web admin'],
];

/** GET /: the links a newcomer needs, HTML for a browser, JSON otherwise. */
export function siteIndex(name: string): RequestHandler {
  return (req, res) => {
    res.vary('Accept');
    if (!wantsHtml(req)) {
      res.json(Object.fromEntries(SITE_LINKS.map(([key, path]) => [key, `${origin(req)}${path}`])));
      return;
    }
    const items = SITE_LINKS.map(([key, path, what]) => `      <li><a href="${path}">${escapeHtml(key)}</a>: ${escapeHtml(what)}</li>`).join('\n');
    res
      .set('Content-Security-Policy', PAGE_CSP)
      .type('html')
      .send(`<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>${escapeHtml(name)}</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${ASSET_PATH}/browsable.css">
  </head>
  <body>
    <h1>${escapeHtml(name)}</h1>
    <ul>
${items}
    </ul>
  </body>
</html>
`);
  };
}
