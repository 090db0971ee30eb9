/**
 * The express application every REST service runs in: JSON bodies with a size limit,
 * the service's routers under /api, health endpoints, and the one error handler last.
 */
import express, { type RequestHandler, type Router } from 'express';

import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorHandler, notFoundHandler } from './error-handler.js';

export interface RestAppOptions {
  api: Router;
  logger: Logger;
  /** Largest accepted JSON body (default 100kb); larger bodies get 413. */
  bodyLimit?: string;
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

export function createRestApp(options: RestAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  app.use(requireJsonBody);
  app.use(express.json({ limit: options.bodyLimit ?? '100kb', type: JSON_TYPES }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/api', options.api);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
