/**
 * The express app every REST service runs in, called over real HTTP on a loopback port:
 * health, body parsing limits and failures, the JSON 404, and the error handler.
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';

import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError, answerClientErrors, createRestApp } from '../index.js';
import { FAKE_SECRET, recordingLogger } from '../../../test/support/library.js';

const logger = recordingLogger();
let server: http.Server;
let base: string;

beforeAll(async () => {
  const api = Router();
  api.post('/echo', (req, res) => {
    res.json({ body: req.body ?? null });
  });
  api.get('/refuse', () => {
    throw new AppError('PERMISSION_DENIED', 'only librarians may do that');
  });
  api.get('/reject', async () => {
    await Promise.resolve();
    throw new Error(`async ${FAKE_SECRET}`);
  });
  api.get('/late', (_req, res, next) => {
    res.status(200).write('partial');
    next(new Error(`late ${FAKE_SECRET}`));
  });
  server = http.createServer(createRestApp({ api, logger, bodyLimit: '1kb' }));
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return fetch(`${base}${url}`, { method: 'POST', headers, body });
}

describe('createRestApp', () => {
  it('answers /healthz and does not advertise express', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('parses application/json and application/*+json bodies, gzipped or not', async () => {
    expect(await (await post('/api/echo', '{"a":1}')).json()).toEqual({ body: { a: 1 } });
    expect(await (await post('/api/echo', '{"a":2}', { 'content-type': 'application/merge-patch+json' })).json()).toEqual({ body: { a: 2 } });
    const gz = await post('/api/echo', gzipSync('{"a":3}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(await gz.json()).toEqual({ body: { a: 3 } });
  });

  it('refuses malformed JSON with 400 and no parser internals', async () => {
    const res = await post('/api/echo', '{"a":');
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"code":"INVALID_ARGUMENT","message":"body: malformed JSON","field":"body"}');
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await post('/api/echo', JSON.stringify({ a: 'x'.repeat(2000) }));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' });
  });

  it('refuses an unsupported charset or content encoding with 415', async () => {
    const charset = await post('/api/echo', '{}', { 'content-type': 'application/json; charset=ebcdic' });
    expect(charset.status).toBe(415);
    expect(await charset.json()).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'body: unsupported encoding (send UTF-8 JSON, optionally gzip or deflate)',
      field: 'body',
    });
    const encoding = await post('/api/echo', '{}', { 'content-type': 'application/json', 'content-encoding': 'compress' });
    expect(encoding.status).toBe(415);
  });

  it('refuses a body that is not JSON with 415, and accepts an empty one without a type', async () => {
    const text = await post('/api/echo', '{"a":1}', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(await text.json()).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: "body: Content-Type must be application/json, got 'text/plain'",
      field: 'body',
    });
    const untyped = await post('/api/echo', 'a=1', {});
    expect(untyped.status).toBe(415);
    expect((await untyped.json()).message).toContain('text/plain');
    expect(await (await fetch(`${base}/api/echo`, { method: 'POST' })).json()).toEqual({ body: null });
  });

  it('says "must be a JSON object" for JSON that is not an object or array', async () => {
    for (const body of ['5', '"x"', 'null', 'true']) {
      const res = await post('/api/echo', body);
      expect(res.status, body).toBe(400);
      expect(await res.json(), body).toEqual({ code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' });
    }
  });

  it('answers a URL over the header limit with a JSON 431', async () => {
    const res = await fetch(`${base}/api/echo?q=${'y'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({ code: 'INVALID_ARGUMENT', message: 'request headers are too large: keep the URL and headers under 16 KB' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await fetch(`${base}/api/nothing?x=1`, { method: 'PUT' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'NOT_FOUND', message: 'no route for PUT /api/nothing' });
  });

  it("answers an AppError with its code's status", async () => {
    const res = await fetch(`${base}/api/refuse`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: 'PERMISSION_DENIED', message: 'only librarians may do that' });
  });

  it('hides a rejected async handler behind 500 "internal error", logging the cause', async () => {
    const res = await fetch(`${base}/api/reject`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toBe('{"code":"INTERNAL","message":"internal error"}');
    expect(logger.lines.some((line) => line.startsWith('error') && line.includes('/api/reject') && line.includes(FAKE_SECRET))).toBe(true);
  });

  it('cuts the connection on an error raised after the response started, and logs it', { timeout: 5000 }, async () => {
    const outcome = await fetch(`${base}/api/late`)
      .then((res) => res.text())
      .then(
        (text) => `complete: ${text}`,
        () => 'aborted',
      );
    expect(outcome).toBe('aborted');
    expect(logger.lines.some((line) => line.includes('/api/late') && line.includes(FAKE_SECRET))).toBe(true);
    // The server is still fine.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
