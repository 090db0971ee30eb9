/**
 * The web admin in-process, over a template-shaped resource (the library's books behind a
 * model view set, as a scaffolded service has them): found with no code of its own, lists
 * with search, sort and pages, forms validated by the API's schema, CSRF and Origin checks,
 * the API key login and session, the refusal off loopback without a key, and readable
 * error pages. Real servers on loopback ports and a real SQLite file; pages read as HTML.
 */
import http from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bookResource, defineBook, type Book } from '../../../test/support/book.js';
import { prng } from '../../../test/support/prng.js';
import { openLibraryDatabase, recordingLogger } from '../../../test/support/library.js';
import { waitUntil } from '../../../test/support/wait.js';
import { AppError, atomic, createRestApp, migrate, modelViewSet, Outbox, outboxMigration, Router, type ModelResource } from '../index.js';
import { SessionStore } from './session.js';

const KEY = 'k'.repeat(40);

interface Served {
  url: string;
  logger: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

async function serveApp(api: Router, host: string, apiKey?: string, outbox?: Outbox): Promise<Served> {
  const logger = recordingLogger();
  const server = http.createServer(createRestApp({ api, logger, name: 'library', apiKey: apiKey ? { key: apiKey } : undefined, admin: { outbox } }));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A browser, as far as the admin can tell: it keeps the cookie and sends the page's CSRF token back. */
class Visitor {
  cookie = '';
  constructor(private readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}) {
    return this.request('GET', path, undefined, headers);
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request('POST', path, new URLSearchParams(form).toString(), { 'content-type': 'application/x-www-form-urlencoded', origin: this.base, ...headers });
  }

  /** Posts a form the way the page does: with the token from `page`'s form. */
  async submit(page: string, path: string, form: Record<string, string>) {
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    if (!token) throw new Error(`no CSRF token on the page: ${page.slice(0, 300)}`);
    return this.post(path, { _csrf: token, ...form });
  }

  private async request(method: string, path: string, body: string | undefined, headers: Record<string, string>) {
    const res = await fetch(this.base + path, { method, body, redirect: 'manual', headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...headers } });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text(), headers: res.headers };
  }
}

const NO_STACK = /\n\s+at |node_modules|\.ts:\d+/;

let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
let books: ModelResource<Book>;
let open: Served;

beforeAll(async () => {
  db = await openLibraryDatabase();
  books = bookResource(defineBook(db.sequelize));
  for (let i = 1; i <= 30; i++) await books.create({ title: `Book ${String(i).padStart(2, '0')}`, pages: i * 10 });
  await books.create({ title: '<script>alert("x")</script>', pages: 7 });
  const api = Router();
  api.use('/books', modelViewSet(books));
  open = await serveApp(api, '127.0.0.1');
});

afterAll(async () => {
  await open?.close();
  await db?.cleanup();
});

describe('admin pages (open on loopback)', () => {
  it('finds the view set by itself and lists it, escaped, under a strict CSP', async () => {
    const visitor = new Visitor(open.url);
    const index = await visitor.get('/admin/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<a href="/admin/books">Books</a>');
    const list = await visitor.get('/admin/books?search=script');
    expect(list.status).toBe(200);
    expect(list.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(list.text).not.toContain('<script>alert');
    expect(list.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(list.text).toMatch(/1–1<\/span>|1–1 of 1/);
  });

  it('sorts and pages through the resource\'s own list query', async () => {
    const visitor = new Visitor(open.url);
    const page = await visitor.get('/admin/books?ordering=-pages&per_page=5&page=2');
    expect(page.status).toBe(200);
    const pages = [...page.text.matchAll(/data-field="pages" data-value="(\d+)"/g)].map((m) => Number(m[1]));
    expect(pages).toEqual([250, 240, 230, 220, 210]);
    expect(page.text).toContain('6–10 of 31 · page 2 of 7');
    expect(page.text).toContain('href="/admin/books?ordering=-pages&amp;page=3&amp;per_page=5"');
  
    // Past the last page: sent to the last one, the other parameters kept.
    const past = await visitor.get('/admin/books?ordering=-pages&per_page=5&page=99');
    expect([past.status, past.headers.get('location')]).toEqual([303, '/admin/books?ordering=-pages&page=7&per_page=5']);
    const none = await visitor.get('/admin/books?search=no+such+book&page=2');
    expect([none.status, none.headers.get('location')]).toEqual([303, '/admin/books?search=no+such+book']);
  });

  it('answers bad list parameters, lookups and paths with readable pages, no stack trace', async () => {
    const visitor = new Visitor(open.url);
    const cases: [string, number, string][] = [
      ['/admin/books?per_page=1000', 400, 'per_page: must be a whole number from 1 to 100'],
      ['/admin/books?ordering=secret', 400, 'ordering: &#39;secret&#39; is not an ordering field'],
      ['/admin/books/not-a-uuid', 400, 'is not a valid UUID'],
      ['/admin/books/3f1c2a8e-1111-4111-8111-111111111111', 404, 'book 3f1c2a8e-1111-4111-8111-111111111111 not found'],
      ['/admin/nothing', 404, 'the admin has no page /admin/nothing'],
      ['/admin/%3Cscript%3E', 404, '&lt;script&gt;'],
      ['/admin/books/%E0%A4%A', 400, 'malformed percent-encoding'],
      ['/admin/books?search=a&search=b', 400, 'search: must be given once'],
      ['/admin/books?f_pages=many', 400, 'pages'],
      ['/admin/books?page=0', 400, 'page: must be a whole number from 1'],
      ['/admin/books/rows.json?ids=1,2', 400, 'not a valid UUID'],
    ];
    for (const [path, status, text] of cases) {
      const res = await visitor.get(path);
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.text).toContain(text);
      expect(res.text, path).not.toContain('Nothing here');
      expect(res.text).not.toMatch(NO_STACK);
    }
  });

  it('creates through the form, showing schema errors at their field and keeping what was typed', async () => {
    const visitor = new Visitor(open.url);
    const form = await visitor.get('/admin/books/new');
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="title"');
    expect(form.text).not.toContain('name="created_at"');

    const empty = await visitor.submit(form.text, '/admin/books/new', { title: '  ', isbn: '', pages: 'many' });
    expect(empty.status).toBe(400);
    expect(empty.text).toMatch(/data-input="title">[\s\S]*?<div class="field-error"[^>]*>must not be empty<\/div>/);
    const pages = await visitor.submit(form.text, '/admin/books/new', { title: 'Dune <b>', isbn: '', pages: 'many' });
    expect(pages.status).toBe(400);
    expect(pages.text).toMatch(/data-input="pages">[\s\S]*?class="field-error"[^>]*>must be a whole number</);
    expect(pages.text).toContain('value="Dune &lt;b&gt;"');
    expect(await books.count({ search: 'Dune' })).toBe(0);

    const created = await visitor.submit(form.text, '/admin/books/new', { title: 'Dune <b>', isbn: '0441013597', pages: '412' });
    expect(created.status).toBe(303);
    const id = /^\/admin\/books\/([0-9a-f-]{36})\?done=created$/.exec(created.location)?.[1];
    expect(id).toBeDefined();
    const book = await books.retrieve(id);
    expect([book.title, book.isbn, book.pages]).toEqual(['Dune <b>', '0441013597', 412]);

    const shown = await visitor.get(created.location);
    expect(shown.text).toContain('Created.');
    const edited = await visitor.submit(shown.text, `/admin/books/${id}`, { title: 'Dune', isbn: '', pages: '0' });
    expect(edited.status).toBe(303);
    expect((await books.retrieve(id)).toJSON()).toMatchObject({ title: 'Dune', isbn: null, pages: 0 });
    const duplicate = await visitor.submit(shown.text, '/admin/books/new', { title: 'Dune 2', isbn: '', pages: '1' });
    expect(duplicate.status).toBe(303);

    const deleted = await visitor.submit(shown.text, `/admin/books/${id}/delete`, {});
    expect([deleted.status, deleted.location]).toEqual([303, '/admin/books?done=deleted']);
    await expect(books.retrieve(id)).rejects.toThrow(/not found/);
  });

  it('refuses a POST without the CSRF token, with another browser\'s token, or from another origin', async () => {
    const visitor = new Visitor(open.url);
    const form = await visitor.get('/admin/books/new');
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const before = await books.count({});
    const refusals = [
      await visitor.post('/admin/books/new', { title: 'no token' }),
      await new Visitor(open.url).post('/admin/books/new', { title: 'stolen token', _csrf: token }),
      await visitor.post('/admin/books/new', { title: 'cross-site', _csrf: token }, { origin: 'https://evil.example' }),
      await visitor.post('/admin/books/new', { title: 'cross-site', _csrf: token }, { 'sec-fetch-site': 'cross-site' }),
      await visitor.post('/admin/books/new', { title: 'sandboxed', _csrf: token }, { origin: 'null' }),
    ];
    for (const refused of refusals) {
      expect(refused.status).toBe(403);
      expect(refused.text).toMatch(/CSRF check failed|sent from another site/);
    }
    expect(await books.count({})).toBe(before);
    // Behind a TLS-terminating proxy the page's origin is https: the host is what must match.
    const proxied = await visitor.post('/admin/books/new', { title: 'Via the proxy', _csrf: token }, { origin: open.url.replace('http:', 'https:') });
    expect(proxied.status).toBe(303);
    const behindTls = await new Visitor(open.url).get('/admin/books/new', { 'x-forwarded-proto': 'https' });
    expect(behindTls.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });

  it('refuses oversized and overstuffed forms with readable pages, writing nothing', async () => {
    const visitor = new Visitor(open.url);
    const form = await visitor.get('/admin/books/new');
    const before = await books.count({});
    const large = await visitor.submit(form.text, '/admin/books/new', { title: 'x'.repeat(70_000) });
    expect([large.status, large.text.includes('request body is too large')]).toEqual([413, true]);
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f${i}`, 'x']));
    const stuffed = await visitor.submit(form.text, '/admin/books/new', { title: 'ok', ...many });
    expect([stuffed.status, stuffed.text.includes('too many form fields')]).toEqual([400, true]);
    expect(stuffed.text).not.toMatch(NO_STACK);
    expect(await books.count({})).toBe(before);
  });

  it('serves the rows a page shows as JSON, with a 304 when nothing changed', async () => {
    const [book] = await books.list({ limit: 1 });
    const url = `${open.url}/admin/books/rows.json?ids=${book!.id}`;
    const first = await fetch(url);
    const body = (await first.json()) as { rows: Record<string, Record<string, { text: string }>> };
    expect(body.rows[book!.id]!.title!.text).toBe(book!.title);
    const again = await fetch(url, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    await books.update(book!.id, { pages: 999 });
    const changed = await fetch(url, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as typeof body).rows[book!.id]!.pages!.text).toBe('999');
    expect((await fetch(`${open.url}/admin/books/rows.json?ids=${Array(101).fill(book!.id).join(',')}`)).status).toBe(400);
    // Polled every second by every open page: logged at debug, so it does not drown the request log.
    expect(open.logger.lines.filter((line) => line.includes('/admin/:slug/rows.json')).every((line) => line.startsWith('debug'))).toBe(true);
    expect(open.logger.lines.some((line) => line.startsWith('debug') && line.includes('/admin/:slug/rows.json'))).toBe(true);
  });
});

describe('admin under hostile input', () => {
  it('answers seeded random paths, queries and forms with a page below 500 and no stack trace', async () => {
    const seed = Number(process.env.MGRPC_FUZZ_SEED ?? 0) || (Math.random() * 2 ** 32) >>> 0;
    const random = prng(seed);
    const visitor = new Visitor(open.url);
    const form = await visitor.get('/admin/books/new');
    const [book] = await books.list({ limit: 1 });
    const junk = () =>
      random.pick(['', '-', '0', '-1', '1e309', 'NaN', '%', '%E0%A4%A', '<script>', "' OR 1=1 --", '\u0000', '日本語', '😀'.repeat(3), 'x'.repeat(random.int(300)), book!.id, '..', '-title,pages', 'title,,']);
    const paths = ['/admin/books', '/admin/books/new', `/admin/books/${book!.id}`, '/admin/books/rows.json', `/admin/books/${encodeURIComponent(junk())}`, `/admin/${encodeURIComponent(junk())}`];
    const params = ['search', 'ordering', 'page', 'per_page', 'f_title', 'f_pages', 'f_id', 'ids', 'done', 'next', junk()];
    for (let i = 0; i < 200; i++) {
      const query = new URLSearchParams(Array.from({ length: random.int(4) }, () => [random.pick(params), junk()])).toString();
      const path = `${random.pick(paths)}${query ? `?${query}` : ''}`;
      const res = random.chance(0.3)
        ? await visitor.submit(form.text, random.pick([`/admin/books/${book!.id}`, '/admin/books/new']), { title: junk(), pages: junk(), isbn: junk() })
        : await visitor.get(path);
      expect(res.status, `seed ${seed}: ${path}`).toBeLessThan(500);
      expect(res.text, `seed ${seed}: ${path}`).not.toMatch(NO_STACK);
    }
  });
});

describe('admin of a view set without update and delete', () => {
  it('shows the objects without forms, and refuses writes the API would refuse', async () => {
    const api = Router();
    // Create only (as the dashboard's users): existing objects are read-only.
    api.use('/books', modelViewSet(books, ['list', 'retrieve', 'create']));
    const served = await serveApp(api, '127.0.0.1');
    try {
      const visitor = new Visitor(served.url);
      const [book] = await books.list({ limit: 1 });
      const page = await visitor.get(`/admin/books/${book!.id}`);
      expect(page.text).toContain('Read-only');
      expect(page.text).not.toContain('<form method="post"');
      const form = await visitor.get('/admin/books/new');
      const write = await visitor.submit(form.text, `/admin/books/${book!.id}`, { title: 'changed' });
      expect(write.status).toBe(405);
      expect(write.text).toContain('read-only here');
      expect((await visitor.submit(form.text, `/admin/books/${book!.id}/delete`, {})).status).toBe(405);
      expect((await books.retrieve(book!.id)).title).toBe(book!.title);
    } finally {
      await served.close();
    }
  });
});

describe('admin access', () => {
  it('without a key answers on loopback only requests addressed to loopback by name (no DNS rebinding)', async () => {
    const { port } = new URL(open.url);
    const as = (host: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/admin/books', headers: { host } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
      });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) expect((await as(host)).status).toBe(200);
    const rebound = await as(`attacker.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.text).toContain('only requests addressed to localhost');
    expect(rebound.text).not.toContain('Book 01');
  });

  it('is closed off loopback without an API key, saying how to set one', async () => {
    const api = Router();
    api.use('/books', modelViewSet(books));
    const served = await serveApp(api, '0.0.0.0');
    try {
      for (const path of ['/admin/', '/admin/books']) {
        const res = await new Visitor(served.url).get(path);
        expect(res.status).toBe(403);
        expect(res.text).toContain('MGRPC_API_KEY');
        expect(res.text).not.toContain('Book 01');
      }
    } finally {
      await served.close();
    }
  });

  it('with an API key, asks for it once and keeps a session until logout', async () => {
    const api = Router();
    api.use('/books', modelViewSet(books));
    const served = await serveApp(api, '0.0.0.0', KEY);
    try {
      const visitor = new Visitor(served.url);
      const first = await visitor.get('/admin/books?search=Book');
      expect(first.status).toBe(303);
      expect(first.location).toBe('/admin/login?next=%2Fadmin%2Fbooks%3Fsearch%3DBook');
      const login = await visitor.get(first.location);
      expect(login.status).toBe(200);
      expect(login.text).not.toContain('Book 01');
      const anonymous = visitor.cookie;
      expect(anonymous).toMatch(/^mgrpc_admin=/);

      const wrong = await visitor.submit(login.text, '/admin/login', { key: 'guess', next: '/admin/books?search=Book' });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('That is not the API key');
      const noToken = await visitor.post('/admin/login', { key: KEY });
      expect(noToken.status).toBe(403);

      const right = await visitor.submit(login.text, '/admin/login', { key: KEY, next: '/admin/books?search=Book' });
      expect([right.status, right.location]).toEqual([303, '/admin/books?search=Book']);
      expect(right.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      expect(visitor.cookie).not.toBe(anonymous);
      const list = await visitor.get(right.location);
      expect(list.status).toBe(200);
      expect(list.text).toContain('Book 01');

      // A POST without a session is refused before anything else happens.
      const stranger = new Visitor(served.url);
      expect((await stranger.post('/admin/books/new', { title: 'x' })).status).toBe(401);

      const out = await visitor.submit(list.text, '/admin/logout', {});
      expect([out.status, out.location]).toEqual([303, '/admin/login']);
      expect((await visitor.get('/admin/books')).status).toBe(303);
      // An open redirect through next= is not possible.
      const relogin = await visitor.get('/admin/login');
      const away = await visitor.submit(relogin.text, '/admin/login', { key: KEY, next: '//evil.example/admin' });
      expect(away.location).toBe('/admin/');
    } finally {
      await served.close();
    }
  });
});

describe('admin outbox page', () => {
  it('shows an entry the receiver refused, and queues it again with the retry action', async () => {
    await migrate(db.sequelize, [outboxMigration]);
    const outbox = new Outbox(db.sequelize, { logger: recordingLogger(), pollMs: 20 });
    let accept = false;
    outbox.handle('test.note', async () => {
      if (!accept) throw new AppError('INVALID_ARGUMENT', 'note: <not> wanted');
      return 'ok';
    });
    await outbox.start();
    const served = await serveApp(Router(), '127.0.0.1', undefined, outbox);
    try {
      const entry = await atomic(db.sequelize, (t) => outbox.enqueue(t, { topic: 'test.note', payload: { n: 1 } }));
      expect((await outbox.waitFor(entry, 60_000)).status).toBe('failed');
      const visitor = new Visitor(served.url);
      const page = await visitor.get('/admin/outbox');
      expect(page.text).toContain('<strong data-outbox="failed">1</strong>');
      expect(page.text).toContain('INVALID_ARGUMENT: note: &lt;not&gt; wanted');

      accept = true;
      const retried = await visitor.submit(page.text, '/admin/outbox/retry', {});
      expect([retried.status, retried.location]).toEqual([303, '/admin/outbox?retried=1']);
      await waitUntil('the retried entry delivered', async () => (await outbox.stats()).length === 0);
      expect((await visitor.get('/admin/outbox')).text).toContain('Nothing pending');
    } finally {
      await served.close();
      await outbox.stop();
    }
  });
});

describe('SessionStore', () => {
  it('keeps at most maxSessions, drops expired ones, and extends used ones', () => {
    const store = new SessionStore({ maxSessions: 2, ttlMs: 1000 });
    const a = store.start(0);
    const b = store.start(0);
    expect(store.touch(a, 500)).toBe(true);
    const c = store.start(600);
    expect(store.size).toBe(2);
    expect(store.touch(b, 700)).toBe(false);
    expect(store.touch(a, 1400)).toBe(true);
    expect(store.touch(c, 1700)).toBe(false);
    expect(store.touch(a, 2500)).toBe(false);
  });
});
