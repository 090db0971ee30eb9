/**
 * Unknown query parameters are a 400, as unknown body fields are: `?userid=…` (a typo for
 * `user_id`) used to be ignored, and the like went through as a random user. What a route
 * accepts is what its OpenAPI description declares (`parameters` with `in: 'query'`), so
 * the document and the check cannot disagree. Routes without a description are not checked
 * (they are listed as undocumented in the document).
 */
import type { RequestHandler, Router } from 'express';

import { AppError } from '../errors.js';
import { describedRoute, type HttpMethod } from '../openapi/operations.js';
import { listRoutes, patternRegExp } from './route-list.js';

interface CheckedRoute {
  regexp: RegExp;
  /** Declared query parameter names per method; a method not here is not checked. */
  allowed: Map<string, Set<string>>;
}

function checkedRoutes(api: Router): CheckedRoute[] {
  return listRoutes(api).map((route) => {
    const described = describedRoute(route.router, route.localPath) ?? {};
    const allowed = new Map<string, Set<string>>();
    for (const [method, operation] of Object.entries(described) as [HttpMethod, NonNullable<(typeof described)[HttpMethod]>][]) {
      allowed.set(method, new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)));
    }
    return { regexp: patternRegExp(route.path), allowed };
  });
}

/** Middleware for the API's mount point: refuses query parameters the route does not declare. */
export function queryGuard(api: Router): RequestHandler {
  let routes: CheckedRoute[] | undefined;
  return (req, _res, next) => {
    const names = Object.keys(req.query as object);
    if (names.length === 0) return next();
    // Built on first use: routers may be filled in after the app is made.
    routes ??= checkedRoutes(api);
    const method = req.method === 'HEAD' ? 'get' : req.method.toLowerCase();
    const allowed = routes.find((route) => route.regexp.test(req.path))?.allowed.get(method);
    const unknown = allowed && names.find((name) => !allowed.has(name));
    if (!allowed || unknown === undefined) return next();
    const expected = allowed.size > 0 ? `expected ${[...allowed].join(', ')}` : 'this route takes no query parameters';
    next(AppError.invalid(unknown.slice(0, 100), `unknown query parameter (${expected})`));
  };
}
