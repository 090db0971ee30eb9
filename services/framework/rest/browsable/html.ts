/**
 * What every HTML page of the REST app shares: content negotiation (a browser gets HTML,
 * every other client JSON), escaping, and one strict Content-Security-Policy: scripts and
 * styles only from our own files, never inline, so an escaped value that slipped through
 * still could not run.
 */
import type { Request } from 'express';

export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Where the pages' own script and stylesheet are served (assets.ts). */
export const ASSET_PATH = '/static/mgrpc';

/**
 * True when the client prefers HTML to JSON: a browser's `Accept: text/html,…,*\/*;q=0.8`.
 * No Accept header, `application/json` and curl's `*\/*` get JSON, as they always did.
 */
export function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
