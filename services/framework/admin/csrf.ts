/**
 * CSRF protection for every admin form: a token bound to the browser's cookie id (an HMAC
 * of it under a per-process secret), sent in each form as `_csrf` and checked on every
 * POST, plus the browser's own word on where the request came from (Origin, Sec-Fetch-Site).
 * The cookie is SameSite=Strict as well; each layer alone stops a cross-site form.
 */
import { createHmac, randomBytes } from 'node:crypto';

import type { Request } from 'express';

import { AppError } from '../errors.js';
import { constantTimeEqual } from '../security/constant-time.js';
import { cookieId } from './session.js';

export class Csrf {
  private readonly secret = randomBytes(32);

  token(id: string): string {
    return createHmac('sha256', this.secret).update(id).digest('base64url');
  }

  /** Throws PERMISSION_DENIED unless the POST carries this browser's token and comes from our own pages. */
  check(req: Request): void {
    const origin = req.get('origin');
    // The host only: behind a TLS-terminating proxy the page is https while this server sees http.
    if (origin !== undefined && hostOf(origin) !== req.get('host')) {
      throw new AppError('PERMISSION_DENIED', `the form was sent from another site (${origin.slice(0, 100)}): use the admin's own pages`);
    }
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new AppError('PERMISSION_DENIED', 'the form was sent from another site: use the admin\'s own pages');
    }
    const id = cookieId(req);
    const sent = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (!id || typeof sent !== 'string' || !constantTimeEqual(sent, this.token(id))) {
      throw new AppError('PERMISSION_DENIED', 'the form has expired or was not sent from the admin (CSRF check failed): reload the page and send it again');
    }
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    // "null" (a sandboxed or privacy-sensitive context) or garbage: not our page.
    return undefined;
  }
}
