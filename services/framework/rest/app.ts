/**
 * The express application every REST service runs in: JSON bodies with a size limit,
 * the service's routers under /api, health endpoints (/healthz liveness, /readyz readiness),
 * and the one error handler last.
 */
import express, { type Router } from 'express';

import { createReadiness, readinessHandler, type Readiness } from '../health/readiness.js';
import type { Logger } from '../logger.js';
import { apiKeyGuard, type ApiKeyOptions } from '../security/api-key.js';
import { errorHandler, notFoundHandler } from './error-handler.js';

export interface RestAppOptions {
  api: Router;
  logger: Logger;
  /** Largest accepted JSON body (default 100kb); larger bodies get 413. */
  bodyLimit?: string;
  /** When set, writes under /api need this key (see security/api-key.ts); health stays open. */
  apiKey?: ApiKeyOptions;
  /** What /readyz reports (default: always ready, no dependencies checked). */
  readiness?: Readiness;
}

export function createRestApp(options: RestAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  // Before body parsing: an unauthenticated client does not get to make us parse its body.
  if (options.apiKey) app.use('/api', apiKeyGuard(options.apiKey));
  app.use(express.json({ limit: options.bodyLimit ?? '100kb', type: ['application/json', 'application/*+json'] }));
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
  app.use('/api', options.api);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
