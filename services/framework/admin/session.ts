/**
 * The admin's browser id and sessions. Every browser gets a random id in an HttpOnly,
 * SameSite=Strict cookie (the anchor of its CSRF token, csrf.ts). With an API key, logging
 * in swaps that id for a fresh one that is also held here as a session: random ids, held
 * server-side, at most `maxSessions` (the oldest go first) and each for `ttlMs` after its
 * last use. Sessions live in this process: a restart logs everyone out, and each REST
 * replica has its own.
 */
import { randomBytes } from 'node:crypto';

import type { Request, Response } from 'express';

export const COOKIE = 'mgrpc_admin';

export interface SessionOptions {
  maxSessions?: number;
  ttlMs?: number;
}

export function newId(): string {
  return randomBytes(32).toString('base64url');
}

/** The value of the admin cookie, if it is one we could have set. */
export function cookieId(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === COOKIE && value && /^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}

export function setCookie(req: Request, res: Response, id: string): void {
  // Secure when the browser speaks TLS: directly, or to a proxy in front that says so. Trusting
  // the header here is harmless: a client that lies about it only loses its own cookie over http.
  const secure = req.secure || req.get('x-forwarded-proto') === 'https' ? '; Secure' : '';
  res.append('Set-Cookie', `${COOKIE}=${id}; Path=/admin; HttpOnly; SameSite=Strict${secure}`);
}

/** The browser id of this request, given one first when it has none. */
export function browserId(req: Request, res: Response): string {
  const existing = cookieId(req);
  if (existing) return existing;
  const id = newId();
  setCookie(req, res, id);
  return id;
}

export class SessionStore {
  private readonly sessions = new Map<string, number>();
  private readonly max: number;
  private readonly ttlMs: number;

  constructor(options: SessionOptions = {}) {
    this.max = options.maxSessions ?? 1000;
    this.ttlMs = options.ttlMs ?? 12 * 60 * 60 * 1000;
  }

  /** Starts a session under a new id (never the one the browser had: no fixation). */
  start(now = Date.now()): string {
    const id = newId();
    this.sessions.set(id, now + this.ttlMs);
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
    return id;
  }

  /** Whether `id` is a live session; using it extends it (and makes it the newest). */
  touch(id: string | undefined, now = Date.now()): boolean {
    if (!id) return false;
    const expires = this.sessions.get(id);
    this.sessions.delete(id);
    if (expires === undefined || expires <= now) return false;
    this.sessions.set(id, now + this.ttlMs);
    return true;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
