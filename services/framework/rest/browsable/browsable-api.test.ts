/**
 * The pages of a REST app as a browser gets them, on a real server: content negotiation
 * (HTML for a browser, JSON for everyone else), the tutorial's docs URLs with and without
 * their slash, the API root and the index, escaping, and, in a real headless Chromium, the
 * browsable list page (no script runs from data, the form creates a book under the page's
 * CSP) and the Swagger UI and Redoc pages rendering the document offline.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser } from '../../../../test/support/browser.js';
import { startLibrary, type Library } from '../../../../test/support/library.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const EVIL = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';

let lib: Library;
let browser: Browser;

beforeAll(async () => {
  lib = await startLibrary();
  for (const title of ['Dune', 'Emma', EVIL]) expect((await lib.rest('POST', '/api/books', { title })).status).toBe(201);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await lib?.close();
});

describe('content negotiation', () => {
  it.each([
    ['no Accept', {}],
    ['application/json', { accept: 'application/json' }],
    ["curl's */*", { accept: '*/*' }],
  ])('answers JSON to %s', async (_name, headers) => {
    const res = await lib.rest('GET', '/api/books', undefined, headers);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('vary')).toMatch(/Accept/i);
    expect(res.body.map((b: { title: string }) => b.title)).toContain(EVIL);
  });

  it('answers a browser an HTML page, with the data escaped', async () => {
    const res = await lib.rest('GET', '/api/books?page=1&page_size=2', undefined, { accept: BROWSER_ACCEPT });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.text).not.toContain('<script>window.pwned');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&#60;script&#62;window.pwned=1&#60;/script&#62;');
    expect(res.text).toContain(`<a href="${lib.restUrl}/api/books?page=2&#38;page_size=2">`);
    expect(res.text).toContain('Allow: GET, POST');
  });

  it('shows errors as pages with their status', async () => {
    const res = await lib.rest('GET', '/api/books?ordering=price', undefined, { accept: BROWSER_ACCEPT });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('HTTP 400 Bad Request');
    expect(res.text).toContain('is not an ordering field');
    const missing = await lib.rest('GET', '/api/nothing-here', undefined, { accept: BROWSER_ACCEPT });
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('HTTP 404 Not Found');
  });
});

describe('the URLs', () => {
  it.each([
    ['/api/schema', /^application\/json/],
    ['/api/schema/', /^application\/json/],
    ['/api/docs', /^text\/html/],
    ['/api/v1/doc', /^text\/html/],
    ['/api/v1/doc/', /^text\/html/],
    ['/api/redoc', /^text\/html/],
    ['/api/v1/redoc', /^text\/html/],
    ['/api/v1/redoc/', /^text\/html/],
    ['/api/redoc/redoc.standalone.js', /^text\/javascript/],
    ['/static/mgrpc/browsable.js', /^text\/javascript/],
    ['/static/mgrpc/browsable.css', /^text\/css/],
  ])('GET %s answers %s', async (path, type) => {
    const res = await lib.rest('GET', path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
    if (path.startsWith('/api/schema')) expect(res.body.openapi).toBe('3.1.0');
  });

  it('answers the API root at /api/ and /api, with absolute URLs of the collections', async () => {
    for (const path of ['/api/', '/api']) {
      const res = await lib.rest('GET', path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ books: `${lib.restUrl}/api/books`, explode: `${lib.restUrl}/api/explode` });
    }
  });

  it('answers / with the links a newcomer needs: JSON, or a page for a browser', async () => {
    const json = await lib.rest('GET', '/');
    expect(json.body).toEqual({
      api: `${lib.restUrl}/api/`,
      schema: `${lib.restUrl}/api/schema/`,
      docs: `${lib.restUrl}/api/v1/doc/`,
      redoc: `${lib.restUrl}/api/v1/redoc/`,
      admin: `${lib.restUrl}/admin/`,
    });
    const page = await lib.rest('GET', '/', undefined, { accept: BROWSER_ACCEPT });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('<a href="/api/v1/redoc/">');
  });
});

describe('in a browser', () => {
  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`${lib.restUrl}${path}`);
    return { page, problems };
  }

  it('shows a list as text, and its form creates a book under the CSP', async () => {
    const { page, problems } = await open('/api/books');
    try {
      await expect(page.locator('h1').textContent()).resolves.toBe('List books');
      await expect(page.locator('pre.response').textContent()).resolves.toContain(JSON.stringify(EVIL));
      expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
      await page.locator('textarea[name=body]').fill(JSON.stringify({ title: 'Made in a browser' }));
      await page.locator('button[type=submit]').click();
      await page.locator('#result.status-ok').waitFor();
      await expect(page.locator('#result').textContent()).resolves.toMatch(/^HTTP 201 Created[\s\S]*"title": "Made in a browser"/);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
    expect((await lib.rest('GET', '/api/books?title=Made%20in%20a%20browser')).body).toHaveLength(1);
  });

  it('links a list to its items', async () => {
    const { page, problems } = await open('/api/books?search=dune');
    try {
      await page.locator('.links a').first().click();
      await page.waitForURL(/\/api\/books\/[0-9a-f-]{36}$/);
      await expect(page.locator('h1').textContent()).resolves.toBe('Get a book');
      await expect(page.locator('textarea[name=body]').inputValue()).resolves.toContain('"title": "Dune"');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it.each([
    ['Swagger UI', '/api/v1/doc/', '.opblock-summary-path'],
    ['Redoc', '/api/v1/redoc/', '[data-section-id^="tag/books"]'],
  ])('renders %s from local files', async (_name, path, selector) => {
    const { page, problems } = await open(path);
    // Redoc's sidebar asks for Redocly's logo on its CDN: the page's CSP refuses it (and Redoc
    // hides the image). That is the one request allowed to leave, and only to be refused.
    const LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
    const elsewhere: string[] = [];
    const answered: string[] = [];
    page.on('request', (request) => {
      if (!/^(blob|data):/.test(request.url()) && !request.url().startsWith(lib.restUrl) && request.url() !== LOGO) elsewhere.push(request.url());
    });
    page.on('response', (response) => {
      if (!response.url().startsWith(lib.restUrl)) answered.push(response.url());
    });
    try {
      await page.locator(selector).first().waitFor();
      expect(await page.content()).toContain('/api/books');
      expect(elsewhere).toEqual([]);
      expect(answered.filter((url) => !/^(blob|data):/.test(url))).toEqual([]);
      expect(problems.filter((p) => !p.includes(`'${LOGO}' violates`))).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
