/**
 * The REST edge of the error table: every error becomes `{code, message[, field]}` with the
 * table's HTTP status. INTERNAL errors are logged with their cause and answered with a
 * fixed message; nothing thrown ever reaches the client as a stack trace.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';

import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = AppError.from(err);
    if (AppError.isInternal(error)) {
      const cause = error.cause ?? err;
      logger.error('request failed', { method: req.method, path: req.path, error: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) });
    }
    // Too late for an error body: cut the connection so the client sees a failed response.
    // (Returning alone left the response open, and the client waited for it forever.)
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(error.httpStatus).json(error.toJSON());
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(AppError.notFound(`no route for ${req.method} ${req.path}`));
};

/** For `router.route(path).…all(methodNotAllowed(['GET', 'POST']))`. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (req, res) => {
    // req.path is relative to the router ("/" for a collection): show the path the client used.
    const where = req.baseUrl + (req.path === '/' ? '' : req.path) || '/';
    const error = new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${where}; use ${allowed.join(' or ')}`);
    res.status(error.httpStatus).set('Allow', allowed.join(', ')).json(error.toJSON());
  };
}
