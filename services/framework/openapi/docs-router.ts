/**
 * Serves a service's OpenAPI document at `<mount>/schema`, Swagger UI at `<mount>/docs` and
 * Redoc at `<mount>/redoc`, and the same under the tutorial's (drf-spectacular's) names:
 * `<mount>/schema/`, `<mount>/v1/doc/`, `<mount>/v1/redoc/` (each with or without the
 * slash). Both pages come from npm packages' files on disk (swagger-ui-dist, redoc's
 * standalone bundle): they load nothing from another origin (their Content-Security-Policy
 * says so too), so the docs work offline and behind firewalls.
 * Mounted at /api before the API key guard: the document describes the API, never its data.
 *
 * @example
 *   app.use('/api', apiDocsRouter(() => buildOpenApiDocument({ title: 'dashboard', router: api })));
 */
import { createRequire } from 'node:module';

import type { Router } from 'express';

import { methodNotAllowed } from '../rest/error-handler.js';
import { loadExpress } from '../rest/express.js';
import type { OpenApiDocument } from './document.js';

// absolute-path.js is swagger-ui-dist's getAbsoluteFSPath on its own: the package's index
// would load the 1.5 MB browser bundle into the server for nothing. Looked up when a REST app
// mounts the docs, not when the framework is imported (a gRPC server never serves them).
const swaggerUiPath = (): string => (createRequire(import.meta.url)('swagger-ui-dist/absolute-path.js') as () => string)();
// The one file of redoc the page needs: its standalone bundle (React and all, nothing fetched).
const redocBundlePath = (): string => createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'";
// Redoc builds its search index in a worker it makes from a blob: URL.
const REDOC_CSP = `${CSP}; worker-src 'self' blob:`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function indexHtml(base: string, title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>${escapeHtml(title)} API</title>
    <link rel="stylesheet" type="text/css" href="${base}/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="${base}/docs/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui" data-schema-url="${base}/schema"></div>
    <script src="${base}/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="${base}/docs/mgrpc-initializer.js" charset="UTF-8"></script>
  </body>
</html>
`;
}

function redocHtml(base: string, title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(title)} API</title>
    <link rel="icon" type="image/png" href="${base}/docs/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <redoc spec-url="${base}/schema"></redoc>
    <script src="${base}/redoc/redoc.standalone.js" charset="UTF-8"></script>
  </body>
</html>
`;
}

// A file, not an inline script, so the page's CSP can forbid inline scripts.
const INITIALIZER = `window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({ url: root.dataset.schemaUrl, domNode: root, deepLinking: true });
});
`;

// The files the page uses. Swagger UI's own index.html and petstore initializer are not
// among them (the initializer points at a public URL): ours replace them.
const ASSET = /^\/(swagger-ui(-bundle|-standalone-preset)?\.(js|css)(\.map)?|favicon-(16x16|32x32)\.png)$/;

const DOCS_PATH = /^\/(schema|docs|redoc|v1\/doc|v1\/redoc)(\/|$)/i;

/**
 * Whether a path (relative to where the router is mounted) is one the router serves, so an
 * app can send only those into it: every other request would walk its routes and leave
 * through a setImmediate (a whole event-loop turn, and garbage, per request).
 */
export function isApiDocsPath(path: string): boolean {
  return DOCS_PATH.test(path);
}

/** The document is built on first use (all routes are registered by then) and kept. */
export function apiDocsRouter(document: () => OpenApiDocument): Router {
  const express = loadExpress();
  const router = express.Router();
  let cached: OpenApiDocument | undefined;
  const current = () => (cached ??= document());
  // Under the tutorial's names too: the pages link to their files from the mount point, so
  // /api/v1/doc/ loads the same files as /api/docs.
  router
    .route('/schema')
    .get((_req, res) => {
      res.json(current());
    })
    .all(methodNotAllowed(['GET']));
  const title = () => String((current().info as { title?: unknown }).title ?? 'mgrpc');
  router
    .route(['/docs', '/v1/doc'])
    .get((req, res) => {
      res.set('Content-Security-Policy', CSP).type('html').send(indexHtml(req.baseUrl, title()));
    })
    .all(methodNotAllowed(['GET']));
  router
    .route(['/redoc', '/v1/redoc'])
    .get((req, res) => {
      res.set('Content-Security-Policy', REDOC_CSP).type('html').send(redocHtml(req.baseUrl, title()));
    })
    .all(methodNotAllowed(['GET']));
  router.get('/redoc/redoc.standalone.js', (_req, res, next) => {
    res.sendFile(redocBundlePath(), { maxAge: '1h', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }, (err) => err && next(err));
  });
  router.get('/docs/mgrpc-initializer.js', (_req, res) => {
    res.type('js').send(INITIALIZER);
  });
  const assets = express.static(swaggerUiPath(), { index: false, fallthrough: true, maxAge: '1h' });
  router.use('/docs', (req, res, next) => (ASSET.test(req.path) ? assets(req, res, next) : next()));
  return router;
}
