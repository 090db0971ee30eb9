/**
 * Observability and API docs of the real system (four processes from dist/, JSON logs):
 * a request id travels from a REST request through the outbox and gRPC metadata into the
 * other service's log; /metrics on a REST server and the metrics port of a gRPC server count
 * requests with the right labels and show the outbox depth; /api/schema is an OpenAPI 3.1
 * document of every route, whose limits are the ones the API enforces; /api/docs is Swagger
 * UI served from this server only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createClient } from '../../services/framework/index.js';
import { proto } from '../../services/stubs/index.js';
import { freePort } from '../support/ports.js';
import { http, startSystem, type ProcessName, type RunningSystem } from '../support/system.js';

let system: RunningSystem;
let metricsPorts: { dashboard: number; product: number };

beforeAll(async () => {
  metricsPorts = { dashboard: await freePort(), product: await freePort() };
  system = await startSystem({
    env: { LOG_LEVEL: 'info', LOG_FORMAT: 'json', DASHBOARD_METRICS_PORT: String(metricsPorts.dashboard), PRODUCT_METRICS_PORT: String(metricsPorts.product) },
  });
});

afterAll(async () => {
  await system?.close();
});

type LogLine = Record<string, unknown>;

/** The JSON log lines of a process so far (every line must be JSON in this mode). */
function logLines(name: ProcessName): LogLine[] {
  return system.logs[name]
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

/** Waits (bounded) for a log line of `name` matching `predicate`. */
async function findLogLine(name: ProcessName, predicate: (line: LogLine) => boolean): Promise<LogLine> {
  for (let i = 0; i < 50; i++) {
    const found = logLines(name).find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no matching log line from ${name}:\n${system.logs[name].join('')}`);
}

/** The value of the sample `name{labels…}` in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

async function createUserAndProduct(): Promise<{ userId: string; productId: string }> {
  const user = await http('POST', `${system.dashboardUrl}/api/user`);
  const product = await http('POST', `${system.dashboardUrl}/api/products`, { title: 'Traced pen' });
  expect([user.status, product.status]).toEqual([201, 201]);
  return { userId: user.body.id, productId: product.body.id };
}

describe('request ids and JSON logs', () => {
  it('a like keeps its x-request-id from the product REST log line to the dashboard gRPC log line', async () => {
    const { userId, productId } = await createUserAndProduct();
    const requestId = `e2e-like-${Date.now()}`;
    const liked = await http('POST', `${system.productUrl}/api/products/${productId}/like`, { user_id: userId }, { 'x-request-id': requestId });
    expect(liked.status).toBe(200);
    expect(liked.headers.get('x-request-id')).toBe(requestId);

    const rest = await findLogLine('product', (l) => l.msg === 'request' && l.request_id === requestId);
    expect(rest).toMatchObject({ level: 'info', service: 'product', scope: 'product.rest', method: 'POST', route: '/api/products/:id/like', status: 200 });
    expect(typeof rest.duration_ms).toBe('number');
    expect(typeof rest.time).toBe('string');

    const grpc = await findLogLine('dashboard_grpc', (l) => l.msg === 'call' && l.request_id === requestId);
    // Relayed in the batch call; a batch of this request's likes alone carries its id.
    expect(grpc).toMatchObject({ level: 'info', service: 'dashboard', method: '/product.ProductService/LikeProducts', code: 'OK', items: { OK: 1 } });
  });

  it('an unusable x-request-id is replaced by a fresh one, and a request without one gets one', async () => {
    for (const bad of ['has space', 'x'.repeat(129), '']) {
      const response = await fetch(`${system.dashboardUrl}/api/products`, { headers: { 'x-request-id': bad } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    const plain = await http('GET', `${system.dashboardUrl}/api/products/not-a-uuid`);
    expect(plain.status).toBe(400);
    const id = plain.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = await findLogLine('dashboard', (l) => l.request_id === id);
    expect(line).toMatchObject({ method: 'GET', route: '/api/products/:lookup', status: 400 });
  });
});

describe('Prometheus metrics', () => {
  it('REST /metrics counts requests by method, route pattern and status', async () => {
    await http('GET', `${system.dashboardUrl}/api/products`);
    await http('GET', `${system.dashboardUrl}/api/products/00000000-0000-4000-8000-000000000000`);
    await http('GET', `${system.dashboardUrl}/api/no-such-thing`);
    const text = await scrape(`${system.dashboardUrl}/metrics`);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/products', status: '200', service: 'dashboard' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/products/:lookup', status: '404' })).toBeGreaterThanOrEqual(1);
    // Unrouted paths share one label value: clients cannot grow the series without bound.
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/*', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('no-such-thing');
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/products', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{/m);
  });

  it("a gRPC server's metrics port counts calls by method and status code", async () => {
    const { userId, productId } = await createUserAndProduct();
    expect((await http('POST', `${system.productUrl}/api/products/${productId}/like`, { user_id: userId })).status).toBe(200);
    const client = createClient(proto.product.ProductService.service, system.dashboardGrpc, { name: 'dashboard gRPC' });
    const missing = '00000000-0000-4000-8000-000000000000';
    const key = `metrics-${Date.now()}`;
    let itemsBefore = { OK: 0, NOT_FOUND: 0 };
    try {
      await expect(client.LikeProduct({ id: missing })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const relayedItems = (code: string, text: string) =>
        sample(text, 'grpc_server_items_total', { grpc_service: 'product.ProductService', grpc_method: 'LikeProducts', grpc_code: code }) ?? 0;
      const before = await scrape(`http://127.0.0.1:${metricsPorts.dashboard}/metrics`);
      itemsBefore = { OK: relayedItems('OK', before), NOT_FOUND: relayedItems('NOT_FOUND', before) };
      // One call, two likes, one refused: the call is OK, each item is counted under its own status.
      const batch = await client.LikeProducts({ likes: [{ id: productId, idempotencyKey: `${key}:a` }, { id: missing, idempotencyKey: `${key}:b` }] });
      expect(batch.outcomes.map((o) => (o.error ? o.error.code : 'product'))).toEqual(['product', 5]);
      const after = await scrape(`http://127.0.0.1:${metricsPorts.dashboard}/metrics`);
      expect({ OK: relayedItems('OK', after) - itemsBefore.OK, NOT_FOUND: relayedItems('NOT_FOUND', after) - itemsBefore.NOT_FOUND }).toEqual({ OK: 1, NOT_FOUND: 1 });
    } finally {
      client.close();
    }
    const text = await scrape(`http://127.0.0.1:${metricsPorts.dashboard}/metrics`);
    const like = { grpc_service: 'product.ProductService', grpc_method: 'LikeProduct' };
    // The REST like reached the dashboard through the relay's batch call.
    const relayed = { grpc_service: 'product.ProductService', grpc_method: 'LikeProducts' };
    expect(sample(text, 'grpc_server_handled_total', { ...relayed, grpc_code: 'OK', service: 'dashboard', side: 'grpc' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'grpc_server_handled_total', { ...like, grpc_code: 'NOT_FOUND' })).toBe(1);
    expect(sample(text, 'grpc_server_handling_seconds_count', { ...relayed, grpc_code: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'grpc_server_handling_seconds_count', { ...like, grpc_code: 'NOT_FOUND' })).toBe(1);
    // The relayed REST like was an item too.
    expect(itemsBefore.OK).toBeGreaterThanOrEqual(1);

    const product = await scrape(`http://127.0.0.1:${metricsPorts.product}/metrics`);
    expect(sample(product, 'grpc_server_handled_total', { grpc_method: 'CreateProductFromReceiver', grpc_code: 'OK' })).toBeGreaterThanOrEqual(1);
    const other = await fetch(`http://127.0.0.1:${metricsPorts.product}/other`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('OpenAPI document and Swagger UI', () => {
  type Doc = { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };

  /** Structural checks of OpenAPI 3.1 that a broken document fails. */
  function checkStructure(doc: Doc): void {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(['get', 'put', 'post', 'delete', 'patch']).toContain(method);
        expect(operationIds.has(op.operationId)).toBe(false);
        operationIds.add(op.operationId);
        const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path');
        expect(declared.map((p: any) => p.name).sort()).toEqual([...pathParams].sort());
        for (const p of declared) expect(p.required).toBe(true);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [status, response] of Object.entries<any>(op.responses)) {
          expect(status).toMatch(/^[1-5]\d\d$/);
          expect(typeof response.description).toBe('string');
        }
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.replace('#/components/schemas/', ''));
  }

  const methodsOf = (doc: Doc) => Object.fromEntries(Object.entries(doc.paths).map(([path, item]) => [path, Object.keys(item).sort()]));

  it('each REST service serves an OpenAPI 3.1 document listing every route it serves', async () => {
    const dashboard = (await http('GET', `${system.dashboardUrl}/api/schema`)).body as Doc;
    const product = (await http('GET', `${system.productUrl}/api/schema`)).body as Doc;
    checkStructure(dashboard);
    checkStructure(product);
    expect(dashboard.info.title).toBe('dashboard');
    expect(methodsOf(dashboard)).toEqual({
      '/api/products': ['get', 'post'],
      '/api/products/{id}': ['delete', 'get', 'patch', 'put'],
      '/api/user': ['get', 'post'],
    });
    expect(methodsOf(product)).toEqual({
      '/api/products/{id}/like': ['get', 'post'],
      '/api/products': ['get'],
      '/api/products/{id}': ['get'],
    });
    const error = dashboard.paths['/api/products'].post.responses['400'].content['application/json'].schema;
    expect(error).toEqual({ $ref: '#/components/schemas/Error' });
    expect(dashboard.components.schemas.Error).toMatchObject({ required: ['code', 'message'] });
  });

  it('request bodies carry the limits the validation enforces, and the API enforces exactly those', async () => {
    const dashboard = (await http('GET', `${system.dashboardUrl}/api/schema`)).body as Doc;
    for (const [path, method] of [['/api/products', 'post'], ['/api/products/{id}', 'put'], ['/api/products/{id}', 'patch']] as const) {
      const body = dashboard.paths[path][method].requestBody.content['application/json'].schema;
      expect(body.additionalProperties).toBe(false);
      expect(body.properties.title).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
      expect(body.properties.image.anyOf).toContainEqual({ type: 'string', maxLength: 2048 });
      expect(body.properties.image.anyOf).toContainEqual({ type: 'null' });
      expect(body.required).toEqual(method === 'patch' ? undefined : ['title']);
    }
    const create = dashboard.paths['/api/products'].post.requestBody.content['application/json'].schema;
    const titleMax = create.properties.title.maxLength as number;
    const imageMax = create.properties.image.anyOf.find((s: any) => s.type === 'string').maxLength as number;
    expect((await http('POST', `${system.dashboardUrl}/api/products`, { title: 't'.repeat(titleMax), image: 'i'.repeat(imageMax) })).status).toBe(201);
    expect(await http('POST', `${system.dashboardUrl}/api/products`, { title: 't'.repeat(titleMax + 1) })).toMatchObject({ status: 400, body: { field: 'title' } });
    expect(await http('POST', `${system.dashboardUrl}/api/products`, { title: 'ok', image: 'i'.repeat(imageMax + 1) })).toMatchObject({ status: 400, body: { field: 'image' } });

    const product = (await http('GET', `${system.productUrl}/api/schema`)).body as Doc;
    const like = product.paths['/api/products/{id}/like'].post.requestBody.content['application/json'].schema;
    expect(like).toMatchObject({ type: 'object', additionalProperties: false, properties: { user_id: { type: 'string', format: 'uuid' } } });
    const answer = product.paths['/api/products/{id}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(answer.properties).sort()).toEqual(['created_at', 'id', 'image', 'title', 'updated_at']);
  });

  it('/api/docs is Swagger UI that loads only this server\'s own files, all of which are served', async () => {
    const page = await fetch(`${system.dashboardUrl}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href|data-schema-url)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toContain('/api/docs/swagger-ui-bundle.js');
    expect(refs).toContain('/api/schema');
    for (const ref of refs) {
      expect(ref).toMatch(/^\/api\//);
      const asset = await fetch(`${system.dashboardUrl}${ref}`);
      expect(asset.status, ref).toBe(200);
      await asset.arrayBuffer();
    }
    const bundle = await fetch(`${system.dashboardUrl}/api/docs/swagger-ui-bundle.js`);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    // swagger-ui-dist's own petstore initializer is not served.
    expect((await fetch(`${system.dashboardUrl}/api/docs/swagger-initializer.js`)).status).toBe(404);
  });
});

describe('outbox depth', () => {
  it('has a series for every topic a process delivers, 0 when nothing waits (an alert sees a value, not a missing series)', async () => {
    const text = await scrape(`${system.productUrl}/metrics`);
    for (const name of ['mgrpc_outbox_pending', 'mgrpc_outbox_failed']) {
      expect(sample(text, name, { topic: 'dashboard.like', service: 'product' }), name).toBeTypeOf('number');
    }
    expect(sample(text, 'mgrpc_outbox_failed', { topic: 'dashboard.like' })).toBeGreaterThanOrEqual(0);
  });

  it('mgrpc_outbox_pending shows changes waiting for a receiver that is down', async () => {
    await system.stop('product_grpc');
    const created = await http('POST', `${system.dashboardUrl}/api/products`, { title: 'Waits for the product service' });
    expect([201, 202]).toContain(created.status);
    // The REST answer may come before the first attempt gave up: poll (bounded) for the retry.
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = await scrape(`${system.dashboardUrl}/metrics`);
      if (sample(text, 'mgrpc_outbox_deliveries_total', { topic: 'product.sync', outcome: 'retry' }) !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sample(text, 'mgrpc_outbox_deliveries_total', { topic: 'product.sync', outcome: 'retry' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'mgrpc_outbox_pending', { topic: 'product.sync' })).toBe(1);
  });
});
