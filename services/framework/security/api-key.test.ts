/**
 * The REST API key on a real express app (the Book view set over SQLite, on a loopback port):
 * writes need the key in either header, reads stay open unless asked, a route marked
 * `writeRoute` needs it whatever its method, and health is always open.
 */
import http from 'node:http';

import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { apiKeyFromEnv, createRestApp, writeRoute, type ApiKeyOptions } from '../index.js';
import { bookResource, defineBook } from '../../../test/support/book.js';
import { libraryRoutes, openLibraryDatabase, recordingLogger } from '../../../test/support/library.js';

const KEY = 'rest-key-9f8e7d6c5b4a';

let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
const servers: http.Server[] = [];
let open: string;
let writesOnly: string;
let everything: string;
/** How often the marked GET route ran. */
let touched = 0;

async function listen(apiKey: ApiKeyOptions | undefined): Promise<string> {
  const books = bookResource(defineBook(db.sequelize));
  const api = Router();
  api.get('/touch', writeRoute, (_req, res) => {
    touched += 1;
    res.json({ touched });
  });
  api.use(libraryRoutes(books));
  const server = http.createServer(createRestApp({ api, logger: recordingLogger(), apiKey }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  db = await openLibraryDatabase();
  open = await listen(undefined);
  writesOnly = await listen({ key: KEY });
  everything = await listen({ key: KEY, protectReads: true });
});

afterAll(async () => {
  for (const server of servers) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  await db?.cleanup();
});

async function request(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

const count = async () => (await db.sequelize.query('SELECT COUNT(*) AS n FROM books', { plain: true }))!.n as number;

describe('API key on writes', () => {
  const refused: [string, Record<string, string>][] = [
    ['no key', {}],
    ['a wrong bearer key', { authorization: `Bearer ${KEY}x` }],
    ['a wrong X-API-Key', { 'x-api-key': KEY.slice(0, -1) }],
    ['the key under another scheme', { authorization: `Basic ${KEY}` }],
  ];
  for (const [what, headers] of refused) {
    it(`answers ${what} with 401, the error shape and WWW-Authenticate, changing nothing`, async () => {
      const before = await count();
      const res = await request(writesOnly, 'POST', '/api/books', headers, { title: 'Dune' });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'UNAUTHENTICATED', message: expect.stringContaining('missing or invalid API key') });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="mgrpc"/);
      expect(res.text).not.toContain(KEY);
      expect(await count()).toBe(before);
    });
  }

  it('accepts the key as a bearer token or as X-API-Key', async () => {
    const a = await request(writesOnly, 'POST', '/api/books', { authorization: `Bearer ${KEY}` }, { title: 'Emma' });
    expect(a.status, a.text).toBe(201);
    const b = await request(writesOnly, 'PATCH', `/api/books/${a.body.id}`, { 'x-api-key': KEY }, { title: 'Emma 2' });
    expect(b.status, b.text).toBe(200);
    const denied = await request(writesOnly, 'DELETE', `/api/books/${a.body.id}`);
    expect(denied.status).toBe(401);
    const c = await request(writesOnly, 'DELETE', `/api/books/${a.body.id}`, { 'x-api-key': KEY });
    expect(c.status).toBe(204);
  });

  it('checks the key before the body: a bad body without a key is 401, not 400', async () => {
    const res = await request(writesOnly, 'POST', '/api/books', {}, '{not json');
    expect(res.status).toBe(401);
  });

  it('leaves reads and health open', async () => {
    expect((await request(writesOnly, 'GET', '/api/books')).status).toBe(200);
    expect((await request(writesOnly, 'GET', '/healthz')).status).toBe(200);
  });

  it('treats a writeRoute GET as a write', async () => {
    const before = touched;
    expect((await request(writesOnly, 'GET', '/api/touch')).status).toBe(401);
    expect(touched).toBe(before);
    const ok = await request(writesOnly, 'GET', '/api/touch', { 'x-api-key': KEY });
    expect(ok.status).toBe(200);
    expect(touched).toBe(before + 1);
  });

  it('with reads protected, GET needs the key too; health does not', async () => {
    expect((await request(everything, 'GET', '/api/books')).status).toBe(401);
    expect((await request(everything, 'GET', '/api/books', { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await request(everything, 'GET', '/api/touch', { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await request(everything, 'GET', '/healthz')).status).toBe(200);
  });

  it('without a key everything is open, writeRoute included', async () => {
    expect((await request(open, 'POST', '/api/books', {}, { title: 'Open' })).status).toBe(201);
    expect((await request(open, 'GET', '/api/touch')).status).toBe(200);
  });
});

describe('apiKeyFromEnv', () => {
  it('reads MGRPC_API_KEY and MGRPC_API_KEY_READS', () => {
    expect(apiKeyFromEnv({})).toBeUndefined();
    expect(apiKeyFromEnv({ MGRPC_API_KEY: KEY })).toEqual({ key: KEY, protectReads: false });
    expect(apiKeyFromEnv({ MGRPC_API_KEY: KEY, MGRPC_API_KEY_READS: '1' })).toEqual({ key: KEY, protectReads: true });
  });

  it('refuses settings that cannot be what was meant', () => {
    expect(() => apiKeyFromEnv({ MGRPC_API_KEY_READS: '1' })).toThrow('MGRPC_API_KEY_READS=1 needs MGRPC_API_KEY');
    expect(() => apiKeyFromEnv({ MGRPC_API_KEY: KEY, MGRPC_API_KEY_READS: 'yes please' })).toThrow("MGRPC_API_KEY_READS must be 1 or 0, got 'yes please'");
  });
});
