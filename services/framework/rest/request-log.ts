/**
 * The REST edge of observability, first in the app: every request gets a request id (the
 * caller's `x-request-id` when usable, else a new UUID) that is echoed in the response
 * header and is the current request id while it is handled (so outgoing gRPC calls and log
 * lines carry it), then one log line and the metrics when the response is done:
 *   INFO [dashboard.rest] request method=GET route=/api/products/:lookup status=200 duration_ms=3.1 request_id=…
 */
import type { RequestHandler } from 'express';

import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from '../observability/request-context.js';

export interface RequestLogOptions {
  logger: Logger;
  metrics?: Metrics;
  /** The route pattern of a path (see route-list.ts `routeMatcher`). */
  routeOf(path: string): string;
  /** Routes logged at debug, not info: polled ones (the admin's live values), which would drown the rest. */
  quietRoutes?: readonly string[];
}

const REQUEST_ID = Symbol('mgrpc.requestId');

export function requestLog(options: RequestLogOptions): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    (res.locals as { [REQUEST_ID]?: string })[REQUEST_ID] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = (performance.now() - started) / 1000;
      const route = options.routeOf(req.originalUrl.split('?')[0]);
      // A client that went away before the answer was sent: the status is what it would have got.
      const aborted = !res.writableFinished;
      options.metrics?.observeHttp(req.method, route, res.statusCode, seconds);
      const log = options.quietRoutes?.includes(route) ? options.logger.debug : options.logger.info;
      log.call(options.logger, 'request', {
        method: req.method,
        route,
        status: res.statusCode,
        duration_ms: Math.round(seconds * 10_000) / 10,
        request_id: requestId,
        aborted: aborted || undefined,
      });
    };
    res.once('finish', finish);
    res.once('close', finish);
    runWithRequestId(requestId, next);
  };
}

/**
 * Enters the request's id again: streams (the JSON body parser's) call back outside the
 * request's async path, so the handlers after them would otherwise see no request id.
 */
export const keepRequestId: RequestHandler = (_req, res, next) => {
  runWithRequestId((res.locals as { [REQUEST_ID]?: string })[REQUEST_ID], next);
};
