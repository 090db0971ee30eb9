/**
 * The express application every REST service runs in: the service's gRPC services over
 * Connect and gRPC-Web when given (../connect/edge.ts: own paths, own log line), then a
 * request log with request ids,
 * JSON bodies with a size limit, the service's routers under /api, its OpenAPI document
 * (/api/schema) with Swagger UI (/api/docs) and Redoc (/api/redoc), also under the
 * tutorial's URLs (openapi/docs-router.ts), the API root (/api/) and the site's index (/),
 * the browsable API for browsers (rest/browsable/), health endpoints (/healthz liveness,
 * /readyz readiness), Prometheus metrics (/metrics) when given, the web admin (/admin, see
 * admin/router.ts: HTML pages with their own errors), and the one error handler last.
 */
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

import type { Express, RequestHandler, Router } from 'express';

import { ADMIN_LIVE_ROUTE, adminRouter } from '../admin/router.js';
import type { ConnectEdge } from '../connect/edge.js';
import { AppError } from '../errors.js';
import { createReadiness, readinessHandler, type Readiness } from '../health/readiness.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Outbox } from '../outbox/outbox.js';
import { buildOpenApiDocument } from '../openapi/document.js';
import { apiDocsRouter, isApiDocsPath } from '../openapi/docs-router.js';
import { apiKeyGuard, type ApiKeyOptions } from '../security/api-key.js';
import { apiRoot, siteIndex } from './api-root.js';
import { browsableAssets } from './browsable/assets.js';
import { browsableApi } from './browsable/browsable-api.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { loadExpress } from './express.js';
import { queryGuard } from './query-guard.js';
import { keepRequestId, requestLog } from './request-log.js';
import { routeMatcher } from './route-list.js';

export interface RestAppOptions {
  api: Router;
  logger: Logger;
  /** Largest accepted JSON body (default 100kb); larger bodies get 413. */
  bodyLimit?: string;
  /** When set, writes under /api need this key (see security/api-key.ts); health stays open. */
  apiKey?: ApiKeyOptions;
  /** What /readyz reports (default: always ready, no dependencies checked). */
  readiness?: Readiness;
  /** The service's name: the OpenAPI document's title (default 'mgrpc'). */
  name?: string;
  /** When set, requests are counted and timed, and GET /metrics serves them (open, like /healthz). */
  metrics?: Metrics;
  /** The web admin at /admin (on by default); `outbox` gives it the outbox page. `false`: no admin. */
  admin?: { outbox?: Outbox } | false;
  /** The process's gRPC services for browsers and HTTP/1.1 clients, at /<package>.<Service>/<Method>. */
  rpc?: ConnectEdge;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

// Without this, express.json() skips a body of another type and the handler sees no body at
// all: a form-encoded create then failed with "title: is required", which misleads.
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody || req.is(JSON_TYPES)) {
    next();
    return;
  }
  const got = (req.headers['content-type'] ?? '').slice(0, 100);
  next(new AppError('UNSUPPORTED_MEDIA_TYPE', got ? `body: Content-Type must be application/json, got '${got}'` : 'body: Content-Type must be application/json', { field: 'body' }));
};

export function createRestApp(options: RestAppOptions): Express {
  const express = loadExpress();
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  // Before the body parser (which would read a Connect JSON body) and the REST request log.
  const { rpc } = options;
  if (rpc) app.use((req, res, next) => rpc.handle(req, res, next));
  // First, so that every request, refused ones included, is logged and counted with its request id.
  let routeOf: (path: string) => string = () => 'unmatched';
  app.use(requestLog({ logger: options.logger, metrics: options.metrics, routeOf: (path) => routeOf(path), quietRoutes: [ADMIN_LIVE_ROUTE] }));
  const { metrics } = options;
  if (metrics) {
    app.get('/metrics', (_req, res, next) => {
      metrics.render().then((text) => res.type(metrics.contentType).send(text), next);
    });
  }
  // Before the API key guard: the document describes the API, never its data (see docs/api.md).
  const docs = apiDocsRouter(() =>
    buildOpenApiDocument({
      title: options.name ?? 'mgrpc',
      router: options.api,
      description: `The ${options.name ?? 'mgrpc'} service's REST API.`,
      protect: options.apiKey ? (options.apiKey.protectReads ? 'all' : 'writes') : undefined,
    }),
  );
  app.use('/api', (req, res, next) => (isApiDocsPath(req.path) ? docs(req, res, next) : next()));
  // Before the JSON body rules: the admin's forms post url-encoded bodies, parsed by its router.
  if (options.admin !== false) {
    app.use('/admin', adminRouter({ api: options.api, service: options.name ?? 'mgrpc', logger: options.logger, apiKey: options.apiKey, outbox: options.admin?.outbox }));
  }
  // A browser gets every answer under /api (errors included) as an HTML page; other clients JSON.
  app.use('/api', browsableApi({ api: options.api, service: options.name ?? 'mgrpc' }));
  app.use(browsableAssets());
  app.get('/', siteIndex(options.name ?? 'mgrpc'));
  // Before body parsing: an unauthenticated client does not get to make us parse its body.
  if (options.apiKey) app.use('/api', apiKeyGuard(options.apiKey));
  app.use(requireJsonBody);
  app.use(express.json({ limit: options.bodyLimit ?? '100kb', type: JSON_TYPES }));
  app.use(keepRequestId);
  const readiness = options.readiness ?? createReadiness();
  // While draining, answered keep-alive connections are closed so clients reconnect elsewhere.
  app.use((_req, res, next) => {
    if (readiness.draining) res.setHeader('connection', 'close');
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', readinessHandler(readiness));
  app.get('/api', queryGuard(options.api), apiRoot(options.api));
  app.use('/api', queryGuard(options.api), options.api);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  routeOf = routeMatcher(app.router);
  return app;
}

/**
 * Requests node's HTTP parser refuses before express sees them (a URL or headers over 16 KB,
 * a malformed request line) get the same JSON error shape as the rest, instead of node's
 * bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request headers are too large: keep the URL and headers under 16 KB']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request took too long to arrive']
          : [400, 'malformed HTTP request'];
    const body = JSON.stringify({ code: 'INVALID_ARGUMENT', message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
