/**
 * Who may use the admin. With an API key (MGRPC_API_KEY) every page but the login needs a
 * session, which the key buys once. Without one the admin is open only while the server
 * listens on loopback, where only this machine reaches it; on any other address it refuses
 * with a page that says how to set a key. Every POST passes the CSRF check (csrf.ts).
 */
import type { AddressInfo, Server } from 'node:net';

import type { Request } from 'express';

import type { ApiKeyOptions } from '../security/api-key.js';
import { cookieId, type SessionStore } from './session.js';

export type Access = 'open' | 'session' | 'login' | 'no-key' | 'foreign-host';

export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

/** Whether the server this request arrived at listens on loopback only (not 0.0.0.0 / ::). */
export function listensOnLoopback(req: Request): boolean {
  const address = (req.socket as { server?: Server }).server?.address();
  return typeof address === 'object' && address !== null && isLoopbackAddress((address as AddressInfo).address);
}

/** Whether a request's Host names this machine's loopback: localhost, 127.x.x.x or [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || isLoopbackAddress(host);
}

export function accessOf(req: Request, apiKey: ApiKeyOptions | undefined, sessions: SessionStore): Access {
  if (apiKey) return sessions.touch(cookieId(req)) ? 'session' : 'login';
  if (!listensOnLoopback(req)) return 'no-key';
  // Open without a key only for requests addressed to loopback by name: a web page whose DNS
  // name an attacker points at 127.0.0.1 (DNS rebinding) is same-origin with its own host, so
  // the CSRF and Origin checks would pass; its Host header still names that host.
  return isLoopbackHost(req.hostname ?? '') ? 'open' : 'foreign-host';
}
