/**
 * The REST view set over the same resource as the gRPC actions, on a real express app on a
 * loopback port: DRF-like statuses, the error table as HTTP statuses, and the two
 * transports seeing one set of data.
 */
import { Router } from 'express';
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createRestApp, modelViewSet } from '../index.js';
import { FAKE_SECRET, startLibrary, type Library } from '../../../test/support/library.js';
import { DIALECTS } from '../../../test/support/databases.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
const STACK_LINE = /\bat .+:\d+:\d+/;

// The same behaviour on each database the framework supports.
describe.each(DIALECTS)('on %s', (dialect) => {
  let lib: Library;

  beforeAll(async () => {
    lib = await startLibrary({ bodyLimit: '2kb', dialect });
  });

  afterAll(async () => {
    await lib?.close();
  });

  beforeEach(async () => {
    await lib.books.model.destroy({ where: {} });
  });

  describe('generic views', () => {
    it('POST creates (201) with snake_case keys, null for unsent fields and an ISO date', async () => {
      const res = await lib.rest('POST', '/api/books', { title: 'Dune', pages: 412 });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.stringMatching(UUID), title: 'Dune', isbn: null, pages: 412, created_at: expect.any(String) });
      expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
    });

    it('POST refuses read-only fields with 400 naming the field', async () => {
      const res = await lib.rest('POST', '/api/books', { id: MISSING_ID, title: 'Emma' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'INVALID_ARGUMENT', message: 'id: is read-only and cannot be set', field: 'id' });
      expect(await lib.books.model.count()).toBe(0);
    });

    it('GET lists in order, with limit and offset from the query string', async () => {
      for (const title of ['C', 'A', 'B']) expect((await lib.rest('POST', '/api/books', { title })).status).toBe(201);
      const titles = async (query: string) => ((await lib.rest('GET', `/api/books${query}`)).body as { title: string }[]).map((b) => b.title);
      expect(await titles('')).toEqual(['A', 'B', 'C']);
      expect(await titles('?limit=2')).toEqual(['A', 'B']);
      expect(await titles('?limit=1&offset=1')).toEqual(['B']);
      const bad = await lib.rest('GET', '/api/books?limit=-1');
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ code: 'INVALID_ARGUMENT', message: 'limit: must be a non-negative integer', field: 'limit' });
      expect((await lib.rest('GET', '/api/books?limit=0')).body.message).toBe('limit: must be an integer from 1 to 100');
    });

    it('GET, PUT, PATCH and DELETE on an item', async () => {
      const { body: created } = await lib.rest('POST', '/api/books', { title: 'Dune', isbn: '0441013597', pages: 412 });
      const url = `/api/books/${created.id}`;

      const got = await lib.rest('GET', url);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created);

      const patched = await lib.rest('PATCH', url, { pages: 0 });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({ ...created, pages: 0 });

      const put = await lib.rest('PUT', url, { title: 'Dune (1965)', isbn: null });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ id: created.id, title: 'Dune (1965)', isbn: null, created_at: created.created_at });

      const deleted = await lib.rest('DELETE', url);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect((await lib.rest('GET', url)).status).toBe(404);
      expect(await lib.books.model.count()).toBe(0);
    });

    it('REST and gRPC serve the same data', async () => {
      const { body: viaRest } = await lib.rest('POST', '/api/books', { title: 'Ulysses', isbn: '0679722769', pages: 783 });
      expect(await lib.call('Retrieve', { id: viaRest.id })).toEqual({
        id: viaRest.id,
        title: 'Ulysses',
        isbn: '0679722769',
        pages: '783',
        createdAt: viaRest.created_at,
      });

      const viaGrpc = await lib.call('Create', { title: 'Emma', pages: 474 });
      expect((await lib.rest('GET', `/api/books/${viaGrpc.id}`)).body).toEqual({
        id: viaGrpc.id,
        title: 'Emma',
        isbn: null,
        pages: 474,
        created_at: viaGrpc.createdAt,
      });

      await lib.call('PartialUpdate', { id: viaRest.id, title: 'Ulysses (1922)' });
      expect((await lib.rest('GET', '/api/books')).body.map((b: { title: string }) => b.title)).toEqual(['Emma', 'Ulysses (1922)']);
      expect((await lib.rest('DELETE', `/api/books/${viaGrpc.id}`)).status).toBe(204);
      expect((await lib.call('List', {})).items.map((b: { id: string }) => b.id)).toEqual([viaRest.id]);
    });
  });

  describe('the error table over REST', () => {
    it.each([
      ['a title that is too long', 'POST', { title: 'x'.repeat(201) }, 'title', 'title: must be at most 200 characters'],
      ['a missing title', 'POST', { isbn: '0441013597' }, 'title', 'title: is required'],
      ['a title of the wrong type', 'POST', { title: 42 }, 'title', 'title: must be a string'],
      ['pages of the wrong type', 'POST', { title: 'A', pages: 'many' }, 'pages', 'pages: must be a whole number'],
      ['fractional pages', 'POST', { title: 'A', pages: 1.5 }, 'pages', 'pages: must be a whole number'],
      ['an unknown JSON field', 'POST', { title: 'A', colour: 'red' }, 'colour', 'colour: unknown field (expected title, isbn, pages)'],
      ['a body that is not an object', 'POST', [1, 2], 'body', 'body: must be a JSON object'],
    ])('%s is 400 naming the field', async (_case, method, body, field, message) => {
      const res = await lib.rest(method, '/api/books', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'INVALID_ARGUMENT', message, field });
      expect(await lib.books.model.count()).toBe(0);
    });

    it('a lookup that is not a UUID is 400 on every item method', async () => {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
        const res = await lib.rest(method, '/api/books/not-a-uuid', method === 'PUT' || method === 'PATCH' ? { title: 'A' } : undefined);
        expect(res.status, method).toBe(400);
        expect(res.body, method).toEqual({ code: 'INVALID_ARGUMENT', message: "id: 'not-a-uuid' is not a valid UUID", field: 'id' });
      }
    });

    it('a missing book is 404 on every item method', async () => {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
        const res = await lib.rest(method, `/api/books/${MISSING_ID}`, method === 'PUT' || method === 'PATCH' ? { title: 'A' } : undefined);
        expect(res.status, method).toBe(404);
        expect(res.body, method).toEqual({ code: 'NOT_FOUND', message: `book ${MISSING_ID} not found` });
      }
    });

    it('a second book with the same isbn is 409', async () => {
      expect((await lib.rest('POST', '/api/books', { title: 'Once', isbn: '9999999999' })).status).toBe(201);
      const res = await lib.rest('POST', '/api/books', { title: 'Twice', isbn: '9999999999' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ code: 'ALREADY_EXISTS', message: 'a record with this isbn already exists' });
      expect(await lib.books.model.count()).toBe(1);
    });

    it('an unexpected error is 500 "internal error" with no secret or stack', async () => {
      const res = await lib.rest('GET', '/api/explode');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ code: 'INTERNAL', message: 'internal error' });
      expect(res.text).not.toContain(FAKE_SECRET);
      expect(res.text).not.toMatch(STACK_LINE);
      expect(lib.logger.lines.some((line) => line.includes('/api/explode') && line.includes(FAKE_SECRET))).toBe(true);
    });

    it('malformed JSON is 400', async () => {
      const res = await lib.rest('POST', '/api/books', '{"title": "Dune",');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'INVALID_ARGUMENT', message: 'body: malformed JSON', field: 'body' });
      expect(res.text).not.toMatch(STACK_LINE);
    });

    it('a body over the limit is 413', async () => {
      const res = await lib.rest('POST', '/api/books', { title: 'A', padding: 'x'.repeat(3000) });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' });
      // Just under the limit is parsed (and then refused for its unknown field, not its size).
      expect((await lib.rest('POST', '/api/books', { title: 'A', padding: 'x'.repeat(1900) })).status).toBe(400);
    });

    it('an unknown route is 404 JSON', async () => {
      for (const url of ['/api/nowhere', '/elsewhere', '/api/books/a/b']) {
        const res = await lib.rest('GET', url);
        expect(res.status, url).toBe(404);
        expect(res.headers.get('content-type'), url).toMatch(/^application\/json/);
        expect(res.body, url).toEqual({ code: 'NOT_FOUND', message: `no route for GET ${url}` });
      }
    });

    it('a wrong method is 405 with an Allow header', async () => {
      const collection = await lib.rest('DELETE', '/api/books');
      expect(collection.status).toBe(405);
      expect(collection.headers.get('allow')).toBe('GET, POST');
      expect(collection.body.code).toBe('METHOD_NOT_ALLOWED');
      expect(collection.body.message).toContain('DELETE is not allowed');

      const item = await lib.rest('POST', `/api/books/${MISSING_ID}`, { title: 'A' });
      expect(item.status).toBe(405);
      expect(item.headers.get('allow')).toBe('GET, PUT, PATCH, DELETE');
    });
  });

  describe('a view set with some actions', () => {
    it('serves only those, and answers 405 or 404 for the rest', async () => {
      const api = Router();
      api.use('/books', modelViewSet(lib.books, ['list', 'retrieve']));
      const server = http.createServer(createRestApp({ api, logger: lib.logger }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/books`;
      try {
        expect((await fetch(base)).status).toBe(200);
        const post = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"A"}' });
        expect(post.status).toBe(405);
        expect(post.headers.get('allow')).toBe('GET');
        const del = await fetch(`${base}/${MISSING_ID}`, { method: 'DELETE' });
        expect(del.status).toBe(405);
        expect(del.headers.get('allow')).toBe('GET');
        expect(await lib.books.model.count()).toBe(0);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
});
