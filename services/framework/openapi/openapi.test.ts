/**
 * The OpenAPI document built from a real router (the test library's book view set), and the
 * docs, metrics and request log of a REST app over real HTTP, with the API key protecting reads.
 */
import http from 'node:http';

import { Router } from 'express';
import { Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildOpenApiDocument, createMetrics, createRestApp, listRoutes, metricsPortFor, requestIdFrom, routeMatcher, type OpenApiDocument } from '../index.js';
import { bookResource, defineBook } from '../../../test/support/book.js';
import { libraryRoutes, recordingLogger } from '../../../test/support/library.js';

let sequelize: Sequelize;
let api: Router;
let doc: OpenApiDocument;

beforeAll(() => {
  // Defining models needs no connection: nothing here touches the database.
  sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  api = libraryRoutes(bookResource(defineBook(sequelize)));
  doc = buildOpenApiDocument({ title: 'library', router: api });
});

afterAll(async () => {
  await sequelize.close();
});

const op = (path: string, method: string) => doc.paths[path]?.[method] as any;
const jsonBody = (operation: any) => operation.requestBody.content['application/json'].schema;

describe('buildOpenApiDocument', () => {
  it('lists every route the router serves, undocumented ones marked as such', () => {
    const routed = listRoutes(api, '/api').map((r) => r.path.replace(':lookup', ':id').replace(/:(\w+)/g, '{$1}'));
    expect(Object.keys(doc.paths).sort()).toEqual([...new Set(routed)].sort());
    expect(Object.keys(doc.paths['/api/books']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/books/{id}']).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    expect(op('/api/explode', 'get').summary).toContain('undocumented');
  });

  it("takes request bodies from the serializer's zod schema, in the JSON body's terms", () => {
    const create = jsonBody(op('/api/books', 'post'));
    expect(create).toMatchObject({ type: 'object', additionalProperties: false, required: ['title'] });
    expect(create.properties.title).toEqual({ type: 'string', minLength: 1, maxLength: 200 });
    expect(create.properties.isbn.anyOf).toContainEqual({ type: 'null' });
    // What a client may send (a number or a digit string), not what the transform makes of it.
    expect(create.properties.pages.anyOf).toHaveLength(2);
    expect(Object.keys(create.properties).sort()).toEqual(['isbn', 'pages', 'title']);
    expect(jsonBody(op('/api/books/{id}', 'patch'))).not.toHaveProperty('required');
  });

  it('describes answers from the fields the serializer shows, read-only ones marked', () => {
    const book = op('/api/books/{id}', 'get').responses['200'].content['application/json'].schema;
    expect(book.required).toEqual(['id', 'title', 'isbn', 'pages', 'created_at']);
    expect(book.properties.id).toMatchObject({ type: 'string', format: 'uuid', readOnly: true });
    expect(book.properties.created_at.readOnly).toBe(true);
    expect(book.properties.pages).toMatchObject({ type: 'integer', minimum: 0 });
    const list = op('/api/books', 'get').responses['200'].content['application/json'].schema;
    expect(list.anyOf[0]).toEqual({ type: 'array', items: book });
    expect(list.anyOf[1]).toMatchObject({ type: 'object', required: ['count', 'next', 'previous', 'results'], properties: { results: { type: 'array', items: book } } });
  });

  it('declares the lookup parameter from the lookup schema, and errors in the one error shape', () => {
    const retrieve = op('/api/books/{id}', 'get');
    expect(retrieve.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ format: 'uuid' }) }));
    expect(retrieve.parameters.map((p: any) => p.name)).not.toContain('lookup');
    for (const status of ['400', '404', '500']) expect(retrieve.responses[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    const list = op('/api/books', 'get').parameters;
    expect(list.map((p: any) => p.name)).toEqual(['search', 'ordering', 'id', 'title', 'isbn', 'pages', 'created_at', 'page', 'page_size', 'limit', 'offset']);
    // Filters are typed by their column.
    expect(list.find((p: any) => p.name === 'pages').schema).toEqual({ type: 'integer' });
    expect(list.find((p: any) => p.name === 'created_at').schema).toEqual({ type: 'string', format: 'date-time' });
  });

  it('declares no security scheme and no 401 while the API is open, so Swagger UI shows no padlocks', () => {
    expect(doc.components).not.toHaveProperty('securitySchemes');
    expect(op('/api/books', 'post')).not.toHaveProperty('security');
    expect(op('/api/books', 'post').responses['401']).toBeUndefined();
  });

  it('with a key, requires it on writes (or on everything when reads are protected too)', () => {
    const writes = buildOpenApiDocument({ title: 'library', router: api, protect: 'writes' });
    expect(Object.keys(writes.components.securitySchemes)).toEqual(['apiKey', 'bearer']);
    expect(writes.paths['/api/books'].post).toMatchObject({ security: [{ apiKey: [] }, { bearer: [] }], responses: { 401: expect.anything() } });
    expect(writes.paths['/api/books'].get).not.toHaveProperty('security');
    const all = buildOpenApiDocument({ title: 'library', router: api, protect: 'all' });
    expect(all.paths['/api/books'].get.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
  });
});

describe('docs, metrics and the request log of a REST app', () => {
  const logger = recordingLogger();
  const metrics = createMetrics({ service: 'library', side: 'rest' });
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer(createRestApp({ api, logger, name: 'library', metrics, apiKey: { key: 'k'.repeat(32), protectReads: true } }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  it('serves the schema and the docs without the key even when reads need it', async () => {
    expect((await fetch(`${base}/api/books`)).status).toBe(401);
    const schema = await fetch(`${base}/api/schema`);
    expect(schema.status).toBe(200);
    expect(((await schema.json()) as OpenApiDocument).info).toMatchObject({ title: 'library' });
    expect((await fetch(`${base}/api/docs`)).status).toBe(200);
    expect((await fetch(`${base}/api/docs/swagger-ui.css`)).status).toBe(200);
    expect((await fetch(`${base}/api/schema`, { method: 'POST' })).status).toBe(405);
  });

  it('echoes a usable x-request-id, logs one line per request with the route pattern, and counts it', async () => {
    const res = await fetch(`${base}/api/books/not-a-uuid`, { headers: { 'x-request-id': 'trace-42' } });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    const line = logger.lines.find((l) => l.includes('"request_id":"trace-42"'));
    expect(line).toMatch(/^info \[library\] request /);
    expect(JSON.parse(line!.slice(line!.indexOf('{')))).toMatchObject({ method: 'GET', route: '/api/books/:lookup', status: 401 });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('http_requests_total{method="GET",route="/api/books/:lookup",status="401",service="library",side="rest"} 1');
  });
});

describe('helpers', () => {
  it('routeMatcher maps paths to patterns, and unknown paths to few values', () => {
    const app = Router();
    app.use('/api', api);
    const routeOf = routeMatcher(app);
    expect(routeOf('/api/books')).toBe('/api/books');
    expect(routeOf('/api/books/')).toBe('/api/books');
    expect(routeOf('/api/books/123')).toBe('/api/books/:lookup');
    expect(routeOf('/api/books/1/2')).toBe('/api/books/*');
    expect(routeOf('/api/whatever')).toBe('/api/*');
    expect(routeOf('/elsewhere')).toBe('unmatched');
  });

  it('requestIdFrom keeps printable ids up to 128 characters and replaces the rest', () => {
    expect(requestIdFrom('abc-123_X.y')).toBe('abc-123_X.y');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'line\nbreak', 'ünï', 42]) expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom('x'.repeat(128))).toBe('x'.repeat(128));
  });

  it('metricsPortFor: the service variable, then MGRPC_METRICS_PORT, then the gRPC port + 1000; off or 0 disables', () => {
    expect(metricsPortFor('dashboard', 10009, {})).toEqual({ port: 11009, explicit: false });
    expect(metricsPortFor('dashboard', 0, {})).toBeUndefined();
    expect(metricsPortFor('dashboard', 65000, {})).toBeUndefined();
    expect(metricsPortFor('dashboard', 10009, { MGRPC_METRICS_PORT: '9100' })).toEqual({ port: 9100, explicit: true });
    expect(metricsPortFor('dashboard', 10009, { MGRPC_METRICS_PORT: '9100', DASHBOARD_METRICS_PORT: '9101' })).toEqual({ port: 9101, explicit: true });
    expect(metricsPortFor('dashboard', 10009, { MGRPC_METRICS_PORT: 'off' })).toBeUndefined();
    expect(metricsPortFor('dashboard', 10009, { DASHBOARD_METRICS_PORT: '0', MGRPC_METRICS_PORT: '9100' })).toBeUndefined();
    expect(() => metricsPortFor('dashboard', 10009, { MGRPC_METRICS_PORT: 'soon' })).toThrow("MGRPC_METRICS_PORT must be a port number (1-65535) or off, got 'soon'");
    expect(() => metricsPortFor('dashboard', 10009, { DASHBOARD_METRICS_PORT: '70000' })).toThrow(/DASHBOARD_METRICS_PORT/);
  });
});
