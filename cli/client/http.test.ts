import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../test/support/ports.js';
import { ApiError, describeNetworkError, ServiceClient, ServiceUnreachableError } from './http.js';

let server: Server;
let base: string;
const seen: { method?: string; url?: string; body: string; contentType?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body, contentType: req.headers['content-type'] });
      const reply = (status: number, text: string, type = 'application/json') => res.writeHead(status, { 'content-type': type }).end(text);
      if (req.url === '/api/ok') return reply(200, '{"id":"1","title":"Pen"}');
      if (req.url === '/api/echo') return reply(201, body);
      if (req.url === '/api/empty') return reply(204, '');
      if (req.url === '/api/conflict') return reply(409, '{"code":"ALREADY_EXISTS","message":"user u already liked product p"}');
      if (req.url === '/api/invalid') return reply(400, '{"code":"INVALID_ARGUMENT","message":"title: must not be empty","field":"title"}');
      if (req.url === '/api/html-error') return reply(502, '<html>bad gateway</html>', 'text/html');
      if (req.url === '/api/html') return reply(200, '<html>hello</html>', 'text/html');
      if (req.url === '/api/slow') return void setTimeout(() => reply(200, '{}'), 2000);
      reply(404, '{"code":"NOT_FOUND","message":"no route"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('ServiceClient', () => {
  it('returns the parsed body and the raw text, with the trailing slash of the base URL dropped', async () => {
    const client = new ServiceClient('dashboard', base);
    expect(client.baseUrl).toBe(base.slice(0, -1));
    const res = await client.request<{ id: string }>('GET', '/api/ok');
    expect(res).toEqual({ status: 200, data: { id: '1', title: 'Pen' }, raw: '{"id":"1","title":"Pen"}' });
  });

  it('sends a body as JSON', async () => {
    const res = await new ServiceClient('dashboard', base).request('POST', '/api/echo', { title: 'Pen', image: null });
    expect(res.data).toEqual({ title: 'Pen', image: null });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', contentType: 'application/json' });
  });

  it('accepts an empty answer (204)', async () => {
    const res = await new ServiceClient('dashboard', base).request('DELETE', '/api/empty');
    expect(res).toEqual({ status: 204, data: undefined, raw: '' });
  });

  it("turns an error status into an ApiError carrying the server's message, code and field", async () => {
    const client = new ServiceClient('product', base);
    await expect(client.request('POST', '/api/conflict')).rejects.toMatchObject({
      name: 'ApiError',
      status: 409,
      code: 'ALREADY_EXISTS',
      message: 'user u already liked product p',
    });
    const invalid = await client.request('POST', '/api/invalid').catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ApiError);
    expect(invalid).toMatchObject({ field: 'title', message: 'title: must not be empty' });
  });

  it('explains answers that are not from an mgrpc service', async () => {
    const client = new ServiceClient('dashboard', base);
    await expect(client.request('GET', '/api/html-error')).rejects.toThrow(
      `the dashboard at ${client.baseUrl} answered HTTP 502 Bad Gateway — is that the dashboard's REST address?`,
    );
    await expect(client.request('GET', '/api/html')).rejects.toThrow(/answered with something that is not JSON .*MGRPC_DASHBOARD_URL/);
  });

  it('names the URL and how to start it when nothing listens', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await new ServiceClient('dashboard', url).request('GET', '/api/products').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnreachableError);
    expect((err as Error).message).toBe(
      `cannot reach the dashboard at ${url} (connection refused) — is it running? start everything with \`mgrpc up\`, or see \`mgrpc status\``,
    );
    const named = await new ServiceClient('dashboard', url, undefined, undefined, 'MGRPC_DASHBOARD_URL').request('GET', '/api/products').catch((e: unknown) => e);
    expect((named as Error).message).toContain(`at ${url} (connection refused; address from MGRPC_DASHBOARD_URL) — `);
  });

  it('gives up after the timeout', async () => {
    const client = new ServiceClient('product', base, 200);
    await expect(client.request('GET', '/api/slow')).rejects.toThrow(`cannot reach the product at ${client.baseUrl} (no answer within 0.2 s)`);
  });
});

describe('describeNetworkError', () => {
  const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });
  const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  it('maps socket error codes to short reasons', () => {
    expect(describeNetworkError(fetchFailed(withCode('ECONNREFUSED')), 10_000)).toBe('connection refused');
    expect(describeNetworkError(fetchFailed(withCode('ENOTFOUND')), 10_000)).toBe('host not found');
    expect(describeNetworkError(fetchFailed(withCode('EWHATEVER')), 10_000)).toBe('EWHATEVER');
  });

  it('looks inside the AggregateError of a name with several addresses', () => {
    const both = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'all failed');
    expect(describeNetworkError(fetchFailed(both), 10_000)).toBe('connection refused');
  });

  it('reports timeouts in seconds', () => {
    expect(describeNetworkError(new DOMException('timed out', 'TimeoutError'), 10_000)).toBe('no answer within 10 s');
  });
});
