/**
 * The express application every REST service runs in: JSON bodies with a size limit,
 * the service's routers under /api, health endpoints, and the one error handler last.
 */
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

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
