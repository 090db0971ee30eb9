/**
 * CORS for the RPC paths on the REST port: which web origins (`https://app.example.com`)
 * may call the gRPC services from a browser. Default: none, so only pages served from the
 * REST port itself (same origin) can call them. `MGRPC_CORS_ORIGINS` lists the others,
 * comma-separated, or `*` for any.
 *
 * A preflight from a listed origin is answered 204 with the methods and headers Connect and
 * gRPC-Web need (connect-es's `cors` constants) plus ours (authorization, x-request-id); one
 * from another origin, and any cross-origin call from an unlisted origin, is refused 403, so
 * a page elsewhere cannot make the call even where a browser would not ask first.
 *
 * @example
 *   const origins = corsOriginsFromEnv({ MGRPC_CORS_ORIGINS: 'http://localhost:5173' });
 *   app.use(rpcCors(origins));
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { cors } from '@connectrpc/connect';

import { REQUEST_ID_HEADER } from '../observability/request-context.js';

export const CORS_ORIGINS_ENV = 'MGRPC_CORS_ORIGINS';

/** `'*'` for any origin, else the exact origins allowed. */
export type CorsOrigins = '*' | ReadonlySet<string>;

const ORIGIN = /^https?:\/\/[^/?#\s]+$/;

/** The allowed origins from the environment; a malformed entry fails at start-up with the fix. */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv): CorsOrigins {
  const raw = (env[CORS_ORIGINS_ENV] ?? '').trim();
  if (raw === '*') return '*';
  const origins = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!ORIGIN.test(origin) || origin !== new URL(origin).origin) {
      throw new Error(`${CORS_ORIGINS_ENV}: '${origin}' is not a web origin; write scheme://host[:port] with no path or trailing slash, e.g. http://localhost:5173 (or * for any)`);
    }
  }
  return new Set(origins);
}

const ALLOW_HEADERS = [...cors.allowedHeaders, 'Authorization', 'X-Request-Id'].join(', ');
const EXPOSE_HEADERS = [...cors.exposedHeaders, REQUEST_ID_HEADER].join(', ');
const ALLOW_METHODS = cors.allowedMethods.join(', ');

/** The answer for an origin that is not allowed: a Connect error body, which Connect clients read as is. */
function refuse(res: ServerResponse, origin: string): void {
  const body = JSON.stringify({ code: 'permission_denied', message: `origin ${origin.slice(0, 200)} may not call this API: add it to ${CORS_ORIGINS_ENV}` });
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), vary: 'Origin' });
  res.end(body);
}

function sameOrigin(req: IncomingMessage, origin: string): boolean {
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Applies CORS to one RPC request; true when it answered (a preflight, or a refusal) and the
 * request must go no further.
 */
export function applyCors(origins: CorsOrigins, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (origin === undefined || (!preflight && sameOrigin(req, origin))) {
    if (!preflight) return false;
    res.writeHead(204, { vary: 'Origin' }).end();
    return true;
  }
  const allowed = origins === '*' || origins.has(origin) || sameOrigin(req, origin);
  if (!allowed) {
    refuse(res, origin);
    return true;
  }
  res.setHeader('access-control-allow-origin', origins === '*' ? '*' : origin);
  res.setHeader('vary', 'Origin');
  if (preflight) {
    res.writeHead(204, {
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': '7200',
    });
    res.end();
    return true;
  }
  res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
  return false;
}
