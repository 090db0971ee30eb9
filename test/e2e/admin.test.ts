/**
 * The web admin as a person uses it: headless Chromium against the four real processes (built
 * CLI, SQLite files), with MGRPC_API_KEY set. Logging in (and being refused without the key),
 * searching, sorting and paging the dashboard's products, creating one with a validation
 * error shown at its field, editing and deleting it, a like arriving on the open list without
 * a reload, and the product service's read-only copies with their sync state and outbox.
 * With MGRPC_SCREENSHOTS=1 it also writes the PNGs in docs/images/ that docs/admin.md shows.
 */
import path from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser } from '../support/browser.js';
import { createUsers, http, ROOT, startSystem, type RunningSystem } from '../support/system.js';

const KEY = 'admin-test-key-0123456789abcdef0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };
const SCREENSHOTS = process.env.MGRPC_SCREENSHOTS === '1';

let sys: RunningSystem;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let users: string[];
/** Resources a page asked for and got 404 (a missing asset or favicon), by the page that asked. */
const missing: string[] = [];

async function screenshot(name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(ROOT, 'docs/images', name), fullPage: true });
}

async function createProduct(title: string): Promise<string> {
  const res = await http('POST', `${sys.dashboardUrl}/api/products`, { title }, AUTH);
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

/** The text of the cells of one column, top to bottom. */
async function column(field: string): Promise<string[]> {
  return page.locator(`tbody td[data-field="${field}"]`).allTextContents();
}

async function logIn(url: string): Promise<void> {
  await page.goto(`${url}/admin/`);
  await page.fill('#field-key', KEY);
  await Promise.all([page.waitForURL(/\/admin\/$/), page.click('main button[type=submit]')]);
}

beforeAll(async () => {
  sys = await startSystem({ env: { MGRPC_API_KEY: KEY } });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  // Waits end on what the page shows; a hang is ended by the test's own timeout.
  context.setDefaultTimeout(0);
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('status of 404')) missing.push(page.url());
  });
  users = await createUsers(sys.dashboardUrl, 3, AUTH);
  for (const title of ['Mechanical pencil', 'Fountain pen', 'Notebook A5', 'Eraser', 'Ruler 30 cm']) await createProduct(title);
  for (let i = 1; i <= 26; i++) await createProduct(`Sticky notes #${String(i).padStart(2, '0')}`);
  await createProduct('<script>alert("admin")</script>');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sys?.close();
});

describe('dashboard admin', () => {
  it('asks for the API key, refuses a wrong one, and keeps a session', async () => {
    const anonymous = await http('GET', `${sys.dashboardUrl}/admin/products`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/admin/login?next=%2Fadmin%2Fproducts');

    await page.goto(`${sys.dashboardUrl}/admin/products`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#field-key', 'not-the-key');
    await page.click('main button[type=submit]');
    await page.locator('.field-error').waitFor();
    expect(await page.locator('.field-error').textContent()).toContain('That is not the API key');

    await page.fill('#field-key', KEY);
    await Promise.all([page.waitForURL(/\/admin\/products$/), page.click('main button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('Products');
    const cookie = (await context.cookies()).find((c) => c.name === 'mgrpc_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
  });

  it('refuses a POST without the CSRF token, even with the session cookie', async () => {
    const before = (await http('GET', `${sys.dashboardUrl}/api/products`)).body.length;
    const res = await context.request.post(`${sys.dashboardUrl}/admin/products/new`, { form: { title: 'forged' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('CSRF check failed');
    expect((await http('GET', `${sys.dashboardUrl}/api/products`)).body.length).toBe(before);
  });

  it('searches, sorts and pages the products, showing hostile titles as text', async () => {
    await page.goto(`${sys.dashboardUrl}/admin/products`);
    expect(await page.locator('.pager .muted').textContent()).toBe('1–25 of 32 · page 1 of 2');
    await page.click('a[rel=next]');
    await page.waitForURL(/page=2/);
    expect(await page.locator('tbody tr').count()).toBe(7);
    expect(await column('title')).toContain('<script>alert("admin")</script>');

    await page.fill('input[name=search]', 'pen');
    await Promise.all([page.waitForURL(/search=pen/), page.click('.toolbar button[type=submit]')]);
    expect((await column('title')).sort()).toEqual(['Fountain pen', 'Mechanical pencil']);

    await Promise.all([page.waitForURL(/ordering=title/), page.click('th a[data-sort=title]')]);
    expect(await column('title')).toEqual(['Fountain pen', 'Mechanical pencil']);
    await Promise.all([page.waitForURL(/ordering=-title/), page.click('th a[data-sort=title]')]);
    expect(await column('title')).toEqual(['Mechanical pencil', 'Fountain pen']);
    expect(page.url()).toContain('search=pen');
  });

  it('creates a product, showing a validation error at its field, then edits and deletes it', async () => {
    await page.goto(`${sys.dashboardUrl}/admin/products`);
    await Promise.all([page.waitForURL(/\/admin\/products\/new$/), page.click('text=Add product')]);
    expect(await page.locator('#field-likes').count()).toBe(0);
    await page.fill('#field-title', 'x'.repeat(201));
    await page.fill('#field-image', 'https://example.com/pen.png');
    await page.click('main button[type=submit]');
    const error = page.locator('[data-input=title] .field-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/at most 200 characters/);
    expect(await page.inputValue('#field-image')).toBe('https://example.com/pen.png');
    await page.fill('#field-title', '');
    await page.click('main button[type=submit]');
    await page.locator('[data-input=title] .field-error').waitFor();
    await screenshot('admin-form-error.png');

    await page.fill('#field-title', 'Gel pen');
    await Promise.all([page.waitForURL(/done=created$/), page.click('main button[type=submit]')]);
    const id = /\/admin\/products\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body).toMatchObject({ title: 'Gel pen', image: 'https://example.com/pen.png', likes: 0 });
    // Read-only fields are shown, not editable.
    expect(await page.locator('.readonly-value[data-field=likes]').textContent()).toBe('0');

    await page.fill('#field-title', 'Gel pen, blue');
    await page.fill('#field-image', '');
    await Promise.all([page.waitForURL(/done=saved$/), page.click('main button[type=submit]')]);
    expect(await page.locator('.notice').textContent()).toBe('Saved.');
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body).toMatchObject({ title: 'Gel pen, blue', image: null });
    // The change reached the product service's copy through the same outbox as an API write.
    expect((await http('GET', `${sys.productUrl}/api/products/${id}`)).body).toMatchObject({ title: 'Gel pen, blue' });

    await Promise.all([page.waitForURL(/done=deleted$/), page.click('button.danger')]);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).status).toBe(404);
  });

  it('shows a like arriving on the open list without a reload', async () => {
    const id = (await http('GET', `${sys.dashboardUrl}/api/products?search=Fountain`)).body[0].id as string;
    await page.goto(`${sys.dashboardUrl}/admin/products?search=pen`);
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    const likes = page.locator(`tr[data-row="${id}"] td[data-field=likes]`);
    expect(await likes.textContent()).toBe('0');

    const liked = await http('POST', `${sys.productUrl}/api/products/${id}/like`, { user_id: users[0] }, AUTH);
    expect(liked.status, liked.text).toBe(200);
    await page.waitForFunction((cell) => cell?.textContent === '1', await likes.elementHandle());
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    await page.goto(`${sys.dashboardUrl}/admin/products?ordering=-likes&per_page=10`);
    await screenshot('admin-products.png');
  });

  it('shows users and creates one', async () => {
    await page.goto(`${sys.dashboardUrl}/admin/users`);
    expect(await page.locator('.pager .muted').textContent()).toBe('1–3 of 3 · page 1 of 1');
    await Promise.all([page.waitForURL(/\/admin\/users\/new$/), page.click('text=Add user')]);
    await Promise.all([page.waitForURL(/done=created$/), page.click('main button[type=submit]')]);
    const id = /\/admin\/users\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    users.push(id);
    // The new user can like: the dashboard knows it.
    const fountain = (await http('GET', `${sys.dashboardUrl}/api/products?search=Fountain`)).body[0].id as string;
    expect((await http('POST', `${sys.productUrl}/api/products/${fountain}/like`, { user_id: id }, AUTH)).status).toBe(200);
  });
});

describe('product service admin', () => {
  it('shows the copies read-only with their sync state, and likes waiting in the outbox', async () => {
    await logIn(sys.productUrl);
    await page.goto(`${sys.productUrl}/admin/products?search=Notebook`);
    expect(await page.locator('text=Add product').count()).toBe(0);
    const id = (await http('GET', `${sys.productUrl}/api/products?search=Notebook`)).body[0].id as string;
    const sync = page.locator(`tr[data-row="${id}"] td[data-field=sync]`);
    expect(await sync.textContent()).toBe('synced');

    // With the dashboard's gRPC server down, a like is recorded and waits in the outbox.
    await sys.stop('dashboard_grpc');
    const pending = await http('POST', `${sys.productUrl}/api/products/${id}/like`, { user_id: users[1] }, AUTH);
    expect(pending.status, pending.text).toBe(202);
    await page.waitForFunction((cell) => cell?.textContent === '1 like pending', await sync.elementHandle());
    await page.goto(`${sys.productUrl}/admin/products?per_page=10`);
    await screenshot('admin-product-copies.png');

    await page.goto(`${sys.productUrl}/admin/products/${id}`);
    expect(await page.locator('text=Read-only').count()).toBe(1);
    expect(await page.locator('form[method=post] input[name=title]').count()).toBe(0);

    await page.click('header nav a:text("Outbox")');
    await page.waitForURL(/\/admin\/outbox$/);
    expect(await page.locator('[data-outbox=pending]').textContent()).toBe('1');
    expect(await page.locator('tbody td.mono', { hasText: 'dashboard.like' }).count()).toBeGreaterThan(0);
    await screenshot('admin-outbox.png');
    await Promise.all([page.waitForURL(/retried=0$/), page.click('text=Retry failed entries')]);
    expect(await page.locator('.notice').textContent()).toBe('0 failed entries queued again.');

    // Back up: the like is delivered and the copy shows as synced again, live.
    await sys.start('dashboard_grpc');
    await page.goto(`${sys.productUrl}/admin/products?search=Notebook`);
    await page.waitForFunction((cell) => cell?.textContent === 'synced', await sync.elementHandle());
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body.likes).toBe(1);
  });
});

describe('every admin page', () => {
  it('asked for nothing the service does not serve (no favicon 404 either)', () => {
    expect(missing).toEqual([]);
  });
});
