/**
 * The REST API key: with MGRPC_API_KEY set, requests under /api that change data need
 * `Authorization: Bearer <key>` or `X-API-Key: <key>`; reads stay open unless
 * MGRPC_API_KEY_READS=1. Writes are POST/PUT/PATCH/DELETE plus any route marked with
 * `writeRoute` (a GET that changes data, kept for tutorial compatibility).
 *
 * @example
 *   app.use('/api', apiKeyGuard({ key, protectReads: false }));
 *   router.get('/products/:id/like', writeRoute, like);
 */
import type { Request, RequestHandler, Response } from 'express';

import { AppError } from '../errors.js';
import { constantTimeEqual } from './constant-time.js';

export const API_KEY_ENV = 'MGRPC_API_KEY';
export const API_KEY_READS_ENV = 'MGRPC_API_KEY_READS';

export interface ApiKeyOptions {
  key: string;
  /** Reads need the key too. */
  protectReads?: boolean;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const INVALID_API_KEY = 'missing or invalid API key: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`';

/** The API key settings, or undefined when MGRPC_API_KEY is unset (REST is open). */
export function apiKeyFromEnv(env: NodeJS.ProcessEnv): ApiKeyOptions | undefined {
  const key = env[API_KEY_ENV];
  const reads = (env[API_KEY_READS_ENV] ?? '').toLowerCase();
  if (!['', '0', '1', 'false', 'true'].includes(reads)) {
    throw new Error(`${API_KEY_READS_ENV} must be 1 or 0, got '${env[API_KEY_READS_ENV]}'`);
  }
  const protectReads = reads === '1' || reads === 'true';
  if (key === undefined || key === '') {
    if (protectReads) throw new Error(`${API_KEY_READS_ENV}=1 needs ${API_KEY_ENV}: the key reads would require`);
    return undefined;
  }
  return { key, protectReads };
}

// Where the guard leaves its check for `writeRoute`, and the mark that it already ran.
const CHECK = Symbol('mgrpc.apiKeyCheck');
const CHECKED = Symbol('mgrpc.apiKeyChecked');
type Locals = { [CHECK]?: RequestHandler; [CHECKED]?: boolean };
const locals = (res: Response) => res.locals as Locals;

function presentedKeys(req: Request): string[] {
  const keys: string[] = [];
  const header = req.get('x-api-key');
  if (header) keys.push(header);
  const match = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
  if (match) keys.push(match[1]!);
  return keys;
}

/** Middleware for /api: checks the key on writes (and reads when asked to). */
export function apiKeyGuard(options: ApiKeyOptions): RequestHandler {
  const check: RequestHandler = (req, res, next) => {
    locals(res)[CHECKED] = true;
    // Every presented key is compared, so timing does not tell which header was wrong.
    const matches = presentedKeys(req).map((key) => constantTimeEqual(key, options.key));
    if (matches.includes(true)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer realm="mgrpc", error="invalid_token"');
    next(new AppError('UNAUTHENTICATED', INVALID_API_KEY));
  };
  return (req, res, next) => {
    locals(res)[CHECK] = check;
    if (options.protectReads || WRITE_METHODS.has(req.method)) check(req, res, next);
    else next();
  };
}

/**
 * Marks a route as changing data whatever its method, so it needs the API key like a POST.
 * A no-op when no key is configured.
 */
export const writeRoute: RequestHandler = (req, res, next) => {
  const check = locals(res)[CHECK];
  if (!check || locals(res)[CHECKED]) next();
  else check(req, res, next);
};
