/**
 * Every kind of bad input, against the four real server processes: each gets the right
 * HTTP or gRPC status and a readable error (REST: {code, message, field?}), no response
 * carries a stack trace or a source path, and nothing stored changes (both services'
 * product lists, every field, and the row counts of their SQLite files, compared before and
 * after each case).
 *
 * The gRPC servers run with MGRPC_GRPC_MAX_MESSAGE_BYTES=256 KiB, so the size limit is
 * shown to come from the setting (the default is 4 MiB).
 */
import * as grpc from '@grpc/grpc-js';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encode } from '../support/protowire.js';
import { call, leakIn, rawCall, rawClient, snapshot, typedClients, type GrpcOutcome, type TypedClients } from '../support/robustness.js';
import { http, runCli, startSystem, type RunningSystem } from '../support/system.js';

const MISSING_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
const MAX_MESSAGE_BYTES = 256 * 1024;

let sys: RunningSystem;
let grpcClients: TypedClients;
/** A product both services hold, which no case may change. */
let existing: { id: string; title: string; image: string | null; likes: number };
let userId: string;

beforeAll(async () => {
  sys = await startSystem({ env: { MGRPC_GRPC_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES), LOG_LEVEL: 'warn' } });
  grpcClients = typedClients(sys);
  const user = await http('POST', `${sys.dashboardUrl}/api/user`);
  expect(user.status, user.text).toBe(201);
  userId = user.body.id;
  const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Lamp', image: 'https://example.com/lamp.png' });
  expect(created.status, created.text).toBe(201);
  existing = created.body;
  const liked = await http('POST', `${sys.productUrl}/api/products/${existing.id}/like`, { user_id: userId });
  expect(liked.status, liked.text).toBe(200);
  existing.likes = liked.body.likes;
});

afterAll(async () => {
  grpcClients?.close();
  await sys?.close();
});

type Service = 'dashboard' | 'product';
type Body = unknown;

interface RestCase {
  name: string;
  service: Service;
  method: string;
  path: string | (() => string);
  /** An object is sent as JSON; a string is sent as is (with `contentType`, default JSON). */
  body?: Body | (() => Body);
  contentType?: string;
  status: number;
  code: string;
  /** The error message, exactly, or a pattern it must match. */
  message: string | RegExp;
  field?: string;
}

const item = () => `/api/products/${existing.id}`;
const big = 'z'.repeat(150 * 1024);

const restCases: RestCase[] = [
  // Bodies that are not what a write expects.
  { name: 'malformed JSON', service: 'dashboard', method: 'POST', path: '/api/products', body: '{"title": "Lamp",', status: 400, code: 'INVALID_ARGUMENT', message: 'body: malformed JSON', field: 'body' },
  { name: 'malformed JSON (PATCH)', service: 'dashboard', method: 'PATCH', path: item, body: '{title: Lamp}', status: 400, code: 'INVALID_ARGUMENT', message: 'body: malformed JSON', field: 'body' },
  { name: 'a JSON array', service: 'dashboard', method: 'POST', path: '/api/products', body: '[{"title":"Lamp"}]', status: 400, code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' },
  { name: 'a JSON number', service: 'dashboard', method: 'PUT', path: item, body: '5', status: 400, code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' },
  { name: 'a JSON string', service: 'dashboard', method: 'POST', path: '/api/products', body: '"Lamp"', status: 400, code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' },
  { name: 'JSON null', service: 'dashboard', method: 'PATCH', path: item, body: 'null', status: 400, code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' },
  { name: 'title of the wrong type', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: 5 }, status: 400, code: 'INVALID_ARGUMENT', message: 'title: must be a string', field: 'title' },
  { name: 'title null', service: 'dashboard', method: 'PUT', path: item, body: { title: null }, status: 400, code: 'INVALID_ARGUMENT', message: 'title: must be a string', field: 'title' },
  { name: 'image of the wrong type', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: 'Lamp', image: {} }, status: 400, code: 'INVALID_ARGUMENT', message: 'image: must be a string or null', field: 'image' },
  { name: 'image a number (PATCH)', service: 'dashboard', method: 'PATCH', path: item, body: { image: 1e308 }, status: 400, code: 'INVALID_ARGUMENT', message: 'image: must be a string or null', field: 'image' },
  { name: 'missing title', service: 'dashboard', method: 'POST', path: '/api/products', body: { image: 'https://example.com/a.png' }, status: 400, code: 'INVALID_ARGUMENT', message: 'title: is required', field: 'title' },
  { name: 'no body at all', service: 'dashboard', method: 'POST', path: '/api/products', status: 400, code: 'INVALID_ARGUMENT', message: 'title: is required', field: 'title' },
  { name: 'missing title (PUT replaces all)', service: 'dashboard', method: 'PUT', path: item, body: {}, status: 400, code: 'INVALID_ARGUMENT', message: 'title: is required', field: 'title' },
  { name: 'empty title', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: '' }, status: 400, code: 'INVALID_ARGUMENT', message: 'title: must not be empty', field: 'title' },
  { name: 'whitespace-only title', service: 'dashboard', method: 'PATCH', path: item, body: { title: ' \t\n ' }, status: 400, code: 'INVALID_ARGUMENT', message: 'title: must not be empty', field: 'title' },
  { name: 'title of 201 characters', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: 'x'.repeat(201) }, status: 400, code: 'INVALID_ARGUMENT', message: 'title: must be at most 200 characters', field: 'title' },
  { name: 'title of 201 characters (PATCH)', service: 'dashboard', method: 'PATCH', path: item, body: { title: 'é'.repeat(201) }, status: 400, code: 'INVALID_ARGUMENT', message: 'title: must be at most 200 characters', field: 'title' },
  { name: 'image of 2049 characters', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: 'Lamp', image: `https://example.com/${'i'.repeat(2029)}` }, status: 400, code: 'INVALID_ARGUMENT', message: 'image: must be at most 2048 characters', field: 'image' },
  { name: 'image of 2049 characters (PUT)', service: 'dashboard', method: 'PUT', path: item, body: { title: 'Lamp', image: 'i'.repeat(2049) }, status: 400, code: 'INVALID_ARGUMENT', message: 'image: must be at most 2048 characters', field: 'image' },
  { name: 'an unknown field', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: 'Lamp', colour: 'red' }, status: 400, code: 'INVALID_ARGUMENT', message: 'colour: unknown field (expected title, image)', field: 'colour' },
  { name: 'an unknown field (PATCH)', service: 'dashboard', method: 'PATCH', path: item, body: { price: 5 }, status: 400, code: 'INVALID_ARGUMENT', message: 'price: unknown field (expected title, image)', field: 'price' },
  { name: 'likes: -1', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: 'Lamp', likes: -1 }, status: 400, code: 'INVALID_ARGUMENT', message: 'likes: is read-only and cannot be set', field: 'likes' },
  { name: 'likes: 1e308', service: 'dashboard', method: 'PATCH', path: item, body: { likes: 1e308 }, status: 400, code: 'INVALID_ARGUMENT', message: 'likes: is read-only and cannot be set', field: 'likes' },
  { name: 'likes: a huge integer literal', service: 'dashboard', method: 'PUT', path: item, body: `{"title":"Lamp","likes":${'9'.repeat(400)}}`, status: 400, code: 'INVALID_ARGUMENT', message: 'likes: is read-only and cannot be set', field: 'likes' },
  { name: 'id in the body', service: 'dashboard', method: 'PATCH', path: item, body: { id: MISSING_ID }, status: 400, code: 'INVALID_ARGUMENT', message: 'id: is read-only and cannot be set', field: 'id' },
  { name: 'created_at in the body', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: 'Lamp', created_at: '1999-01-01T00:00:00Z' }, status: 400, code: 'INVALID_ARGUMENT', message: 'created_at: is read-only and cannot be set', field: 'created_at' },
  { name: 'a body over the 100kb limit', service: 'dashboard', method: 'POST', path: '/api/products', body: { title: big }, status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' },
  { name: 'a body over the limit (PUT)', service: 'dashboard', method: 'PUT', path: item, body: { title: 'Lamp', image: big }, status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' },
  { name: 'text/plain', service: 'dashboard', method: 'POST', path: '/api/products', body: '{"title":"Lamp"}', contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: "body: Content-Type must be application/json, got 'text/plain'", field: 'body' },
  { name: 'a form', service: 'dashboard', method: 'PATCH', path: item, body: 'title=Lamp', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: "body: Content-Type must be application/json, got 'application/x-www-form-urlencoded'", field: 'body' },
  { name: 'an unsupported charset', service: 'dashboard', method: 'POST', path: '/api/products', body: '{"title":"Lamp"}', contentType: 'application/json; charset=latin1', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /^body: unsupported encoding/, field: 'body' },
  // Paths and query strings.
  ...(['GET', 'PUT', 'PATCH', 'DELETE'] as const).flatMap((method): RestCase[] => [
    { name: `${method} an id that is not a UUID`, service: 'dashboard', method, path: '/api/products/not-a-uuid', body: method.startsWith('P') ? { title: 'Lamp' } : undefined, status: 400, code: 'INVALID_ARGUMENT', message: "id: 'not-a-uuid' is not a valid UUID", field: 'id' },
    { name: `${method} an unknown id`, service: 'dashboard', method, path: `/api/products/${MISSING_ID}`, body: method.startsWith('P') ? { title: 'Lamp' } : undefined, status: 404, code: 'NOT_FOUND', message: `product ${MISSING_ID} not found` },
  ]),
  { name: 'an id with SQL in it', service: 'dashboard', method: 'DELETE', path: `/api/products/${encodeURIComponent("' OR 1=1 --")}`, status: 400, code: 'INVALID_ARGUMENT', message: "id: '' OR 1=1 --' is not a valid UUID", field: 'id' },
  { name: 'a UUID in upper case with braces', service: 'dashboard', method: 'GET', path: `/api/products/{${MISSING_ID.toUpperCase()}}`, status: 400, code: 'INVALID_ARGUMENT', message: /is not a valid UUID$/, field: 'id' },
  { name: 'an id of 10 000 characters', service: 'dashboard', method: 'GET', path: `/api/products/${'a'.repeat(10_000)}`, status: 400, code: 'INVALID_ARGUMENT', message: `id: '${'a'.repeat(64)}' is not a valid UUID`, field: 'id' },
  { name: 'broken percent-encoding', service: 'dashboard', method: 'GET', path: '/api/products/%E0%A4%A', status: 400, code: 'INVALID_ARGUMENT', message: 'path: malformed percent-encoding in the URL', field: 'path' },
  { name: 'limit=-1', service: 'dashboard', method: 'GET', path: '/api/products?limit=-1', status: 400, code: 'INVALID_ARGUMENT', message: 'limit: must be a non-negative integer', field: 'limit' },
  { name: 'limit=1e308', service: 'dashboard', method: 'GET', path: '/api/products?limit=1e308', status: 400, code: 'INVALID_ARGUMENT', message: 'limit: must be a non-negative integer', field: 'limit' },
  { name: 'offset of 30 digits', service: 'dashboard', method: 'GET', path: `/api/products?offset=${'9'.repeat(30)}`, status: 400, code: 'INVALID_ARGUMENT', message: 'offset: must be a non-negative integer', field: 'offset' },
  { name: 'limit twice', service: 'dashboard', method: 'GET', path: '/api/products?limit=1&limit=2', status: 400, code: 'INVALID_ARGUMENT', message: 'limit: must be given once', field: 'limit' },
  // Lists: search, ordering, filters and pages.
  { name: 'an unknown ordering field', service: 'dashboard', method: 'GET', path: '/api/products?ordering=-price', status: 400, code: 'INVALID_ARGUMENT', message: "ordering: 'price' is not an ordering field (expected id, title, image, likes, created_at, updated_at, each optionally prefixed with '-')", field: 'ordering' },
  { name: 'a filter of the wrong type', service: 'product', method: 'GET', path: '/api/products?id=7', status: 400, code: 'INVALID_ARGUMENT', message: "id: '7' is not a valid UUID", field: 'id' },
  { name: 'a search with a NUL', service: 'dashboard', method: 'GET', path: '/api/products?search=a%00b', status: 400, code: 'INVALID_ARGUMENT', message: 'search: contains the control character U+0000', field: 'search' },
  { name: 'page 0', service: 'dashboard', method: 'GET', path: '/api/products?page=0', status: 400, code: 'INVALID_ARGUMENT', message: "page: must be a whole number from 1, or 'last'", field: 'page' },
  { name: 'a page past the last', service: 'dashboard', method: 'GET', path: '/api/products?page=99999', status: 404, code: 'NOT_FOUND', message: /^page 99999 does not exist: the list has \d+ pages? of 20$/ },
  { name: 'limit over the page size', service: 'dashboard', method: 'GET', path: '/api/products?limit=1001', status: 400, code: 'INVALID_ARGUMENT', message: 'limit: must be an integer from 1 to 1000', field: 'limit' },
  // Methods.
  { name: 'DELETE the collection', service: 'dashboard', method: 'DELETE', path: '/api/products', status: 405, code: 'METHOD_NOT_ALLOWED', message: 'DELETE is not allowed on /api/products; use GET or POST' },
  { name: 'POST an item', service: 'dashboard', method: 'POST', path: item, body: { title: 'Lamp' }, status: 405, code: 'METHOD_NOT_ALLOWED', message: /^POST is not allowed on \/api\/products\/[0-9a-f-]+; use GET or PUT or PATCH or DELETE$/ },
  { name: 'PUT the user', service: 'dashboard', method: 'PUT', path: '/api/user', body: {}, status: 405, code: 'METHOD_NOT_ALLOWED', message: 'PUT is not allowed on /api/user; use GET or POST' },
  // /api/user takes no fields.
  { name: 'a user with a field', service: 'dashboard', method: 'POST', path: '/api/user', body: { name: 'bob' }, status: 400, code: 'INVALID_ARGUMENT', message: 'name: unknown field (a user has no writable fields: send {} or no body)', field: 'name' },
  { name: 'a user with id set', service: 'dashboard', method: 'POST', path: '/api/user', body: { id: MISSING_ID }, status: 400, code: 'INVALID_ARGUMENT', message: /^id: unknown field/, field: 'id' },
  { name: 'a user from a JSON array', service: 'dashboard', method: 'POST', path: '/api/user', body: '[]', status: 400, code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' },
  { name: 'a user from malformed JSON', service: 'dashboard', method: 'POST', path: '/api/user', body: '{', status: 400, code: 'INVALID_ARGUMENT', message: 'body: malformed JSON', field: 'body' },
  { name: 'a user from text', service: 'dashboard', method: 'POST', path: '/api/user', body: 'bob', contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /^body: Content-Type must be application\/json/, field: 'body' },
  { name: 'a user over the limit', service: 'dashboard', method: 'POST', path: '/api/user', body: { pad: big }, status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' },

  // The product service: read-only products, and the like endpoint.
  { name: 'POST a product copy', service: 'product', method: 'POST', path: '/api/products', body: { title: 'Lamp' }, status: 405, code: 'METHOD_NOT_ALLOWED', message: 'POST is not allowed on /api/products; use GET' },
  { name: 'PUT a product copy', service: 'product', method: 'PUT', path: item, body: { title: 'Lamp' }, status: 405, code: 'METHOD_NOT_ALLOWED', message: /use GET$/ },
  { name: 'DELETE a product copy', service: 'product', method: 'DELETE', path: item, status: 405, code: 'METHOD_NOT_ALLOWED', message: /use GET$/ },
  { name: 'GET a copy by a bad id', service: 'product', method: 'GET', path: '/api/products/12345', status: 400, code: 'INVALID_ARGUMENT', message: "product_id: '12345' is not a valid UUID", field: 'product_id' },
  { name: 'GET a copy by an unknown id', service: 'product', method: 'GET', path: `/api/products/${MISSING_ID}`, status: 404, code: 'NOT_FOUND', message: `product ${MISSING_ID} not found` },
  { name: 'copies with limit=-5', service: 'product', method: 'GET', path: '/api/products?limit=-5', status: 400, code: 'INVALID_ARGUMENT', message: 'limit: must be a non-negative integer', field: 'limit' },
  { name: 'like a bad id', service: 'product', method: 'POST', path: '/api/products/not-a-uuid/like', body: {}, status: 400, code: 'INVALID_ARGUMENT', message: "product_id: 'not-a-uuid' is not a valid UUID", field: 'product_id' },
  { name: 'like an unknown id', service: 'product', method: 'POST', path: `/api/products/${MISSING_ID}/like`, body: { user_id: MISSING_ID }, status: 404, code: 'NOT_FOUND', message: `product ${MISSING_ID} not found` },
  { name: 'like (GET) a bad id', service: 'product', method: 'GET', path: '/api/products/%20/like', status: 400, code: 'INVALID_ARGUMENT', message: "product_id: ' ' is not a valid UUID", field: 'product_id' },
  { name: 'like with malformed JSON', service: 'product', method: 'POST', path: () => `${item()}/like`, body: '{"user_id":', status: 400, code: 'INVALID_ARGUMENT', message: 'body: malformed JSON', field: 'body' },
  { name: 'like with a JSON array', service: 'product', method: 'POST', path: () => `${item()}/like`, body: '[]', status: 400, code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' },
  { name: 'like with a JSON number', service: 'product', method: 'POST', path: () => `${item()}/like`, body: '-1', status: 400, code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' },
  { name: 'like with user_id a number', service: 'product', method: 'POST', path: () => `${item()}/like`, body: { user_id: 5 }, status: 400, code: 'INVALID_ARGUMENT', message: 'user_id: must be a UUID', field: 'user_id' },
  { name: 'like with user_id not a UUID', service: 'product', method: 'POST', path: () => `${item()}/like`, body: { user_id: 'bob' }, status: 400, code: 'INVALID_ARGUMENT', message: 'user_id: must be a UUID', field: 'user_id' },
  { name: 'like (GET) with user_id not a UUID', service: 'product', method: 'GET', path: () => `${item()}/like?user_id=bob`, status: 400, code: 'INVALID_ARGUMENT', message: 'user_id: must be a UUID', field: 'user_id' },
  { name: 'like with likes: -1', service: 'product', method: 'POST', path: () => `${item()}/like`, body: { likes: -1 }, status: 400, code: 'INVALID_ARGUMENT', message: 'likes: unknown field (expected only user_id)', field: 'likes' },
  { name: 'like with likes: 1e308', service: 'product', method: 'POST', path: () => `${item()}/like`, body: { user_id: MISSING_ID, likes: 1e308 }, status: 400, code: 'INVALID_ARGUMENT', message: 'likes: unknown field (expected only user_id)', field: 'likes' },
  { name: 'like with a body over the limit', service: 'product', method: 'POST', path: () => `${item()}/like`, body: { user_id: big }, status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' },
  { name: 'like with text/plain', service: 'product', method: 'POST', path: () => `${item()}/like`, body: `{"user_id":"${MISSING_ID}"}`, contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: "body: Content-Type must be application/json, got 'text/plain'", field: 'body' },
  { name: 'DELETE a like', service: 'product', method: 'DELETE', path: () => `${item()}/like`, status: 405, code: 'METHOD_NOT_ALLOWED', message: /^DELETE is not allowed on \/api\/products\/[0-9a-f-]+\/like; use POST or GET$/ },
  { name: 'PUT a like', service: 'product', method: 'PUT', path: () => `${item()}/like`, body: {}, status: 405, code: 'METHOD_NOT_ALLOWED', message: /use POST or GET$/ },
];

async function send(c: RestCase) {
  const base = c.service === 'dashboard' ? sys.dashboardUrl : sys.productUrl;
  const url = base + (typeof c.path === 'function' ? c.path() : c.path);
  const body = typeof c.body === 'function' ? (c.body as () => Body)() : c.body;
  if (typeof body === 'string') return http(c.method, url, body, { 'content-type': c.contentType ?? 'application/json' });
  return http(c.method, url, body);
}

describe('REST: bad input', () => {
  it.each(restCases.map((c) => [`${c.service} ${c.method}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    const before = await snapshot(sys);
    const res = await send(c);
    expect(res.status, res.text).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(leakIn(res.text), res.text).toBeUndefined();
    expect(res.body.code).toBe(c.code);
    if (typeof c.message === 'string') expect(res.body.message).toBe(c.message);
    else expect(res.body.message).toMatch(c.message);
    expect(res.body.field).toBe(c.field);
    if (c.status === 405) expect(res.headers.get('allow')).toBeTruthy();
    expect(await snapshot(sys)).toEqual(before);
  });

  it('the limits themselves are accepted, on both services', async () => {
    const title = `T${'é'.repeat(198)}Z`;
    const image = `https://example.com/${'i'.repeat(2048 - 20)}`;
    expect(title).toHaveLength(200);
    expect(image).toHaveLength(2048);
    const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title, image });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ title, image, likes: 0 });
    const copy = await http('GET', `${sys.productUrl}/api/products/${created.body.id}`);
    expect(copy.body).toMatchObject({ id: created.body.id, title, image });
    expect((await http('DELETE', `${sys.dashboardUrl}/api/products/${created.body.id}`)).status).toBe(204);
  });
});

function expectStatus(outcome: GrpcOutcome, code: grpc.status, details: string | RegExp) {
  expect(grpc.status[outcome.code], outcome.details).toBe(grpc.status[code]);
  if (typeof details === 'string') expect(outcome.details).toBe(details);
  else expect(outcome.details).toMatch(details);
  expect(leakIn(outcome.details), outcome.details).toBeUndefined();
}

describe('gRPC: bad input', () => {
  const receiver = () => grpcClients.product.receiver;
  const likes = () => grpcClients.dashboard.products;
  const over = (n: number) => 'x'.repeat(n);

  type GrpcCase = [name: string, run: () => Promise<GrpcOutcome>, code: grpc.status, details: string | RegExp];
  const cases: GrpcCase[] = [
    ['LikeProduct: id not a UUID', () => call(likes(), 'LikeProduct', { id: 'not-a-uuid' }), grpc.status.INVALID_ARGUMENT, "id: 'not-a-uuid' is not a valid UUID"],
    ['LikeProduct: empty id', () => call(likes(), 'LikeProduct', {}), grpc.status.INVALID_ARGUMENT, 'id: is required'],
    ['LikeProduct: unknown id', () => call(likes(), 'LikeProduct', { id: MISSING_ID }), grpc.status.NOT_FOUND, `product ${MISSING_ID} not found`],
    ['Create: product_id not a UUID', () => call(receiver(), 'CreateProductFromReceiver', { productReceiver: { productId: 'p1', title: 'Lamp' } }), grpc.status.INVALID_ARGUMENT, 'product_id: must be a UUID'],
    ['Create: no product_receiver', () => call(receiver(), 'CreateProductFromReceiver', {}), grpc.status.INVALID_ARGUMENT, 'product_id: must be a UUID'],
    ['Create: empty title', () => call(receiver(), 'CreateProductFromReceiver', { productReceiver: { productId: MISSING_ID } }), grpc.status.INVALID_ARGUMENT, 'title: is required'],
    ['Create: whitespace title', () => call(receiver(), 'CreateProductFromReceiver', { productReceiver: { productId: MISSING_ID, title: '   ' } }), grpc.status.INVALID_ARGUMENT, 'title: must not be empty'],
    ['Create: title of 201', () => call(receiver(), 'CreateProductFromReceiver', { productReceiver: { productId: MISSING_ID, title: over(201) } }), grpc.status.INVALID_ARGUMENT, 'title: must be at most 200 characters'],
    ['Create: image of 2049', () => call(receiver(), 'CreateProductFromReceiver', { productReceiver: { productId: MISSING_ID, title: 'Lamp', image: over(2049) } }), grpc.status.INVALID_ARGUMENT, 'image: must be at most 2048 characters'],
    ['Create: an id that exists', () => call(receiver(), 'CreateProductFromReceiver', { productReceiver: { productId: existing.id, title: 'Other' } }), grpc.status.ALREADY_EXISTS, 'a record with this id already exists'],
    ['Update: unknown id', () => call(receiver(), 'Update', { productReceiver: { productId: MISSING_ID, title: 'Lamp' } }), grpc.status.NOT_FOUND, `product ${MISSING_ID} not found`],
    ['Update: id not a UUID', () => call(receiver(), 'Update', { productReceiver: { productId: 'x', title: 'Lamp' } }), grpc.status.INVALID_ARGUMENT, 'product_id: must be a UUID'],
    ['Update: title of 201 on a real product', () => call(receiver(), 'Update', { productReceiver: { productId: existing.id, title: over(201) } }), grpc.status.INVALID_ARGUMENT, 'title: must be at most 200 characters'],
    ['Update: empty title on a real product', () => call(receiver(), 'Update', { productReceiver: { productId: existing.id } }), grpc.status.INVALID_ARGUMENT, 'title: is required'],
    ['Delete: empty id', () => call(receiver(), 'Delete', {}), grpc.status.INVALID_ARGUMENT, 'product_id: is required'],
    ['Delete: id not a UUID', () => call(receiver(), 'Delete', { productId: "'; DROP TABLE products; --" }), grpc.status.INVALID_ARGUMENT, "product_id: ''; DROP TABLE products; --' is not a valid UUID"],
    ['Delete: unknown id', () => call(receiver(), 'Delete', { productId: MISSING_ID }), grpc.status.NOT_FOUND, `product ${MISSING_ID} not found`],
  ];

  it.each(cases)('%s', async (_name, run, code, details) => {
    const before = await snapshot(sys);
    expectStatus(await run(), code, details);
    expect(await snapshot(sys)).toEqual(before);
  });

  // Bytes a protobuf decoder must refuse whatever the message type: a length past the end
  // (protobufjs reads a string field's bytes leniently, so the field is an unknown one),
  // wire type 7 (which does not exist), a varint cut short.
  const notProtobuf: [string, Buffer][] = [
    ['an unknown field whose length runs past the end', Buffer.from([0x7a, 0x05, 0x01])],
    ['wire type 7 (field 15)', Buffer.from([0x7f, 0x00])],
    ['a truncated varint', Buffer.from([0x08, 0xff])],
  ];
  const methods = () => [
    { target: sys.dashboardGrpc, path: '/product.ProductService/LikeProduct', type: 'LikeProductRequest' },
    { target: sys.dashboardGrpc, path: '/user.UserService/GetUser', type: 'GetUserRequest' },
    { target: sys.productGrpc, path: '/product_receiver.ProductReceiverService/CreateProductFromReceiver', type: 'CreateProductFromReceiverRequest' },
    { target: sys.productGrpc, path: '/product_receiver.ProductReceiverService/Update', type: 'UpdateByIdRequest' },
    { target: sys.productGrpc, path: '/product_receiver.ProductReceiverService/Delete', type: 'DeleteByIdRequest' },
  ];

  it('bytes that are not a protobuf message are INVALID_ARGUMENT naming the message type, on every method', async () => {
    const before = await snapshot(sys);
    for (const method of methods()) {
      const client = rawClient(method.target);
      try {
        for (const [what, bytes] of notProtobuf) {
          const outcome = await rawCall(client, method.path, bytes);
          expect(grpc.status[outcome.code], `${method.path} ${what}: ${outcome.details}`).toBe('INVALID_ARGUMENT');
          expect(outcome.details, `${method.path} ${what}`).toMatch(new RegExp(`^request is not a valid ${method.type} message: .+`));
          expect(leakIn(outcome.details)).toBeUndefined();
        }
      } finally {
        client.close();
      }
    }
    // A nested message cut short.
    const client = rawClient(sys.productGrpc);
    const nested = await rawCall(client, '/product_receiver.ProductReceiverService/Update', Buffer.from([0x0a, 0x03, 0x7a, 0x05, 0x01]));
    client.close();
    expectStatus(nested, grpc.status.INVALID_ARGUMENT, /^request is not a valid UpdateByIdRequest message: index out of range/);
    expect(await snapshot(sys)).toEqual(before);
  });

  it('an id whose echo was cut inside an emoji is INVALID_ARGUMENT, and the server lives on', async () => {
    // The error echoes the first 64 characters of the id; cut by UTF-16 unit, that left half
    // an emoji, which grpc-js could not percent-encode into grpc-message: the process crashed.
    const id = `${'x'.repeat(63)}🙂🙂`;
    const shown = `'${'x'.repeat(63)}🙂' is not a valid UUID`;
    expectStatus(await call(receiver(), 'Delete', { productId: id }), grpc.status.INVALID_ARGUMENT, `product_id: ${shown}`);
    expectStatus(await call(likes(), 'LikeProduct', { id }), grpc.status.INVALID_ARGUMENT, `id: ${shown}`);
    const rest = await http('GET', `${sys.productUrl}/api/products/${encodeURIComponent(id)}`);
    expect(rest.body.message).toBe(`product_id: ${shown}`);
    expectStatus(await call(receiver(), 'Delete', { productId: MISSING_ID }), grpc.status.NOT_FOUND, `product ${MISSING_ID} not found`);
    expectStatus(await call(likes(), 'LikeProduct', { id: MISSING_ID }), grpc.status.NOT_FOUND, `product ${MISSING_ID} not found`);
  });

  it('a message over MGRPC_GRPC_MAX_MESSAGE_BYTES is RESOURCE_EXHAUSTED; just under it reaches validation', async () => {
    const before = await snapshot(sys);
    const request = (titleBytes: number) => encode({ 1: encode({ 1: MISSING_ID, 2: 'x'.repeat(titleBytes) }) });
    for (const method of methods()) {
      const client = rawClient(method.target);
      try {
        const outcome = await rawCall(client, method.path, request(MAX_MESSAGE_BYTES + 1024));
        expectStatus(outcome, grpc.status.RESOURCE_EXHAUSTED, /^Received message larger than max \(\d+ vs 262144\)$/);
      } finally {
        client.close();
      }
    }
    const under = await call(receiver(), 'CreateProductFromReceiver', { productReceiver: { productId: MISSING_ID, title: over(MAX_MESSAGE_BYTES - 1024) } });
    expectStatus(under, grpc.status.INVALID_ARGUMENT, 'title: must be at most 200 characters');
    expect(await snapshot(sys)).toEqual(before);
  });

  it('garbage written straight to the gRPC ports does not stop either server', async () => {
    const before = await snapshot(sys);
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    // Fixed "random" bytes, so a failure reproduces.
    let seed = 0x2f6b;
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff));
    const payloads = [noise(4096), Buffer.concat([preface, noise(2048)]), Buffer.concat([preface, Buffer.from([0, 0, 4, 4, 0, 0, 0, 0, 0]), noise(512)]), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')];
    for (const target of [sys.ports.dashboard_grpc, sys.ports.product_grpc]) {
      for (const payload of payloads) {
        await new Promise<void>((resolve) => {
          const socket = net.connect(target, '127.0.0.1', () => socket.write(payload));
          const done = () => {
            clearTimeout(timer);
            socket.destroy();
            resolve();
          };
          // The server may close the connection (GOAWAY) or wait for more: either is fine.
          const timer = setTimeout(done, 500);
          socket.on('close', done);
          socket.on('error', done);
          socket.on('data', () => undefined);
        });
      }
    }
    expectStatus(await call(likes(), 'LikeProduct', { id: MISSING_ID }), grpc.status.NOT_FOUND, `product ${MISSING_ID} not found`);
    expectStatus(await call(grpcClients.dashboard.users, 'GetUser', {}), grpc.status.OK, '');
    expectStatus(await call(receiver(), 'Delete', { productId: MISSING_ID }), grpc.status.NOT_FOUND, `product ${MISSING_ID} not found`);
    expect(await snapshot(sys)).toEqual(before);
  });

  it('the snapshot still shows the product as it was created and liked', async () => {
    const { dashboardProducts, productCopies, rows } = await snapshot(sys);
    expect(dashboardProducts).toEqual([expect.objectContaining({ id: existing.id, title: 'Lamp', image: 'https://example.com/lamp.png', likes: 1 })]);
    expect(productCopies).toEqual([expect.objectContaining({ id: existing.id, title: 'Lamp', image: 'https://example.com/lamp.png' })]);
    expect(rows).toEqual({ 'dashboard.products': 1, 'dashboard.users': 1, 'product.products': 1, 'product.product_users': 1 });
  });
});

describe('MGRPC_GRPC_MAX_MESSAGE_BYTES', () => {
  it('a bad value stops grpcrunserver at start-up with a readable message', () => {
    const result = runCli(['grpcrunserver', '127.0.0.1:0', '--service', 'product'], { ...sys.env, MGRPC_GRPC_MAX_MESSAGE_BYTES: '4MB' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("MGRPC_GRPC_MAX_MESSAGE_BYTES must be a positive integer, got '4MB'");
    expect(leakIn(result.stderr)).toBeUndefined();
  });
});
