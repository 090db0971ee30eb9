/**
 * The web admin, mounted at /admin by every REST service (rest/app.ts): server-rendered HTML
 * with one small script for live values, every asset served from here (no CDN, no build
 * step), a strict CSP. It shows the resources the API serves (registry.ts), the outbox, and
 * guards it all with access.ts (key or loopback), session.ts and csrf.ts.
 *
 * @example
 *   app.use('/admin', adminRouter({ api, service: 'dashboard', logger, apiKey, outbox }));
 */
import { createHash } from 'node:crypto';

import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Outbox } from '../outbox/outbox.js';
import { loadExpress, Router } from '../rest/express.js';
import type { ApiKeyOptions } from '../security/api-key.js';
import { constantTimeEqual } from '../security/constant-time.js';
import { accessOf } from './access.js';
import { LIVE_SCRIPT } from './assets/live.js';
import { STYLE } from './assets/style.js';
import { Csrf } from './csrf.js';
import type { Html } from './html.js';
import { outboxPages } from './outbox-pages.js';
import { labelOf } from './pages/cells.js';
import { barePage, layout } from './pages/layout.js';
import { errorPage, foreignHostPage, indexPage, loginPage, noKeyPage } from './pages/misc-pages.js';
import { findAdminEntries, type FoundEntry } from './registry.js';
import { resourcePages, type PageKit } from './resource-pages.js';
import { browserId, cookieId, SessionStore, setCookie, type SessionOptions } from './session.js';

export interface AdminRouterOptions {
  /** The API router: the resources its model view sets serve are the admin's. */
  api: Router;
  service: string;
  logger: Logger;
  /** With a key, the admin needs a login; without, it is open on loopback only. */
  apiKey?: ApiKeyOptions;
  /** The service's outbox, for the outbox page. */
  outbox?: Outbox;
  sessions?: SessionOptions;
}

/** The route of the live values every open page polls (the REST app logs it at debug). */
export const ADMIN_LIVE_ROUTE = '/admin/:slug/rows.json';

const ASSET_VERSION = createHash('sha256').update(STYLE).update(LIVE_SCRIPT).digest('hex').slice(0, 12);

// No inline script or style anywhere, so the policy can forbid both.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
  next();
};

/** Where to go after logging in: only a page of the admin (no open redirect). */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/admin(\/[A-Za-z0-9_\-./?=&%]*)?$/.test(value) && !value.includes('//') ? value : '/admin/';
}

export function adminRouter(options: AdminRouterOptions): Router {
  const express = loadExpress();
  const router = Router({ strict: false });
  const sessions = new SessionStore(options.sessions);
  const csrf = new Csrf();
  // Found on first use: by then the service has registered all its routes.
  let entries: FoundEntry[] | undefined;
  const kit: PageKit = {
    entries: () => (entries ??= findAdminEntries(options.api)),
    csrf: (req, res) => csrf.token(browserId(req, res)),
    frame: (req, res, current) => ({
      service: options.service,
      nav: [...kit.entries().map((e) => ({ slug: e.slug, label: labelOf(e.slug) })), ...(options.outbox ? [{ slug: 'outbox', label: 'Outbox' }] : [])],
      current,
      logout: options.apiKey ? { csrf: kit.csrf(req, res) } : undefined,
      assetVersion: ASSET_VERSION,
    }),
    send: (res, status, frame, title, body, sendOptions) => {
      res.status(status).type('html').send(layout(frame, title, body, sendOptions).text);
    },
  };
  const bare = (res: Response, status: number, title: string, body: Html) => {
    res.status(status).type('html').send(barePage(title, body, ASSET_VERSION).text);
  };

  router.use(securityHeaders);
  const asset = (type: string, body: string): RequestHandler => (_req, res) => {
    // Versioned URLs (?v=hash): a new build is a new URL, so a day's caching is safe.
    res.set('Cache-Control', 'public, max-age=86400').type(type).send(body);
  };
  router.get('/static/admin.css', asset('text/css', STYLE));
  router.get('/static/admin.js', asset('text/javascript', LIVE_SCRIPT));
  // Forms only: small, flat bodies (no nested objects from `a[b]=c`); parsed once access is
  // granted (the login form aside), so a stranger does not get to make us parse anything.
  const forms = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });

  const checkCsrf: RequestHandler = (req, _res, next) => {
    if (req.method === 'POST') csrf.check(req);
    next();
  };

  router.get('/login', (req, res) => {
    if (!options.apiKey) return res.redirect(303, '/admin/');
    bare(res, 200, 'Log in', loginPage(kit.csrf(req, res), safeNext(req.query.next)));
  });
  router.post('/login', forms, checkCsrf, (req, res) => {
    if (!options.apiKey) return res.redirect(303, '/admin/');
    const key = (req.body as Record<string, unknown>)?.key;
    const next = safeNext((req.body as Record<string, unknown>)?.next);
    if (typeof key !== 'string' || key === '' || !constantTimeEqual(key, options.apiKey.key)) {
      options.logger.warn('admin login refused', { ip: req.ip });
      return bare(res, 401, 'Log in', loginPage(kit.csrf(req, res), next, 'That is not the API key: use the value of MGRPC_API_KEY the service was started with.'));
    }
    // A new id on login, so an id planted before it (session fixation) never becomes a session.
    setCookie(req, res, sessions.start());
    res.redirect(303, next);
  });

  router.use((req, res, next) => {
    const access = accessOf(req, options.apiKey, sessions);
    if (access === 'open' || access === 'session') return next();
    if (access === 'no-key') return bare(res, 403, 'Admin closed', noKeyPage());
    if (access === 'foreign-host') return bare(res, 403, 'Admin closed', foreignHostPage());
    if (req.method === 'GET') return res.redirect(303, `/admin/login?${new URLSearchParams({ next: req.originalUrl.slice(0, 500) })}`);
    next(new AppError('UNAUTHENTICATED', 'log in to the admin first (your session has ended)'));
  });
  router.use(forms, checkCsrf);

  router.post('/logout', (req, res) => {
    sessions.end(cookieId(req));
    res.redirect(303, '/admin/login');
  });

  router.get('/', async (req, res) => {
    const described = await Promise.all(
      kit.entries().map(async (e) => {
        const total = e.actions.includes('list') ? await e.resource.count({}) : undefined;
        const writable = e.actions.some((a) => a !== 'list' && a !== 'retrieve');
        return { slug: e.slug, label: labelOf(e.slug), description: `${total ?? '?'} ${total === 1 ? e.resource.name : e.slug.replace(/[-_]/g, ' ')}${writable ? '' : ' · read-only'}` };
      }),
    );
    kit.send(res, 200, kit.frame(req, res), 'Administration', indexPage(described, options.outbox !== undefined));
  });
  if (options.outbox) outboxPages(router, kit, options.outbox);
  resourcePages(router, kit);

  router.use((req, _res, next) => next(AppError.notFound(`the admin has no page ${req.originalUrl.slice(0, 200)}`)));
  const pageErrors: ErrorRequestHandler = (err, req, res, _next) => {
    const error = AppError.from(err);
    if (AppError.isInternal(error)) {
      const cause = error.cause ?? err;
      options.logger.error('admin request failed', { method: req.method, path: req.path, error: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) });
    }
    if (res.headersSent) return res.destroy();
    const titles: Record<number, string> = { 400: 'Bad request', 401: 'Log in first', 403: 'Refused', 404: 'Not found', 405: 'Not allowed', 413: 'Too large' };
    const title = titles[error.httpStatus] ?? 'Something went wrong';
    if (error.httpStatus === 401 || error.httpStatus === 403) return bare(res, error.httpStatus, title, errorPage(error.httpStatus, error.message));
    kit.send(res, error.httpStatus, kit.frame(req, res), title, errorPage(error.httpStatus, error.message));
  };
  router.use(pageErrors);
  return router;
}
