/**
 * The gRPC services over Connect (JSON and binary) and gRPC-Web on the REST ports of the
 * four real processes (built dist/, a service token and one allowed web origin): Node
 * clients over each protocol get the same answers and the same errors as native gRPC, the
 * calls show in the metrics and the log with their protocol, CORS answers an allowed origin's
 * preflight and refuses another's, hostile bodies get clean errors, and a headless Chromium
 * runs the browser example (examples/browser/) against the system.
 */
import { gzipSync } from 'node:zlib';

import type { DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient as createConnectClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serveExample } from '../../examples/browser/build.js';
import { connectServiceOf } from '../../services/framework/connect/descriptors.js';
import { proto } from '../../services/stubs/index.js';
import { launchBrowser } from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { http, startSystem, type ProcessName, type RunningSystem } from '../support/system.js';
import { waitUntil } from '../support/wait.js';
import { watchProducts } from '../support/watch.js';

const TOKEN = 'connect-e2e-token-3b9d';
const MAX_MESSAGE_BYTES = 64 * 1024;
const MISSING = '00000000-0000-4000-8000-000000000000';

let sys: RunningSystem;
let pagePort: number;
const ProductService = connectServiceOf(proto.product.ProductService.service);

beforeAll(async () => {
  pagePort = await freePort();
  sys = await startSystem({
    env: {
      MGRPC_SERVICE_TOKEN: TOKEN,
      MGRPC_CORS_ORIGINS: `http://127.0.0.1:${pagePort}`,
      MGRPC_GRPC_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    },
  });
});

afterAll(async () => {
  await sys?.close();
});

const transports: Record<string, (baseUrl: string) => Transport> = {
  'connect JSON': (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1' }),
  'connect binary': (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true }),
  'gRPC-Web': (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: '1.1' }),
};

function connectClient(kind: string): Client<DescService> & Record<string, any> {
  return createConnectClient(ProductService, transports[kind]!(sys.dashboardUrl)) as Client<DescService> & Record<string, any>;
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** The code and message of a failed Connect call (gRPC's status name, for comparison). */
async function connectFailure(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const error = ConnectError.from(err);
    return { code: Code[error.code]!, message: error.rawMessage };
  }
  throw new Error('the call succeeded');
}

/** One native gRPC LikeProduct, as grpc-js reports it: the response, or the status in Connect's code names. */
function nativeLike(request: object, options: { token?: string; deadlineMs?: number; raw?: boolean } = {}): Promise<{ response?: any; code?: string; message?: string }> {
  const method = proto.product.ProductService.service.LikeProduct;
  const client = new grpc.Client(sys.dashboardGrpc, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
  return new Promise((resolve) => {
    const serialize = options.raw ? (bytes: Buffer) => bytes : method.requestSerialize;
    client.makeUnaryRequest(method.path, serialize as (value: unknown) => Buffer, method.responseDeserialize, request as never, metadata, { deadline: Date.now() + (options.deadlineMs ?? 5000) }, (err, response) => {
      client.close();
      resolve(err ? { code: Code[err.code], message: err.details } : { response });
    });
  });
}

type LogLine = Record<string, unknown>;

function logLines(name: ProcessName): LogLine[] {
  return sys.logs[name]
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** grpc_server_handled_total for LikeProduct with `code` and `protocol` on the dashboard's REST port. */
async function handled(code: string, protocol: string): Promise<number> {
  const text = await (await fetch(`${sys.dashboardUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('grpc_server_handled_total{') && l.includes('grpc_method="LikeProduct"') && l.includes(`grpc_code="${code}"`) && l.includes(`protocol="${protocol}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

let productId: string;
let userIds: string[];

describe('LikeProduct over Connect and gRPC-Web', () => {
  beforeAll(async () => {
    const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Browser pen' });
    expect(created.status, created.text).toBe(201);
    productId = created.body.id;
    userIds = [];
    for (let i = 0; i < 4; i++) userIds.push((await http('POST', `${sys.dashboardUrl}/api/user`)).body.id);
  });

  it('answers as native gRPC does, over each protocol', async () => {
    {
      const first = (await nativeLike({ id: productId, userId: userIds[0] }, { token: TOKEN })).response;
      expect(first.product).toMatchObject({ id: productId, title: 'Browser pen', likes: '1' });
      let likes = 1;
      for (const [i, kind] of Object.keys(transports).entries()) {
        const answer = await connectClient(kind).likeProduct({ id: productId, userId: userIds[i + 1] }, { headers: auth });
        likes++;
        // int64 is a bigint in connect-es and a string in proto-loader: the same number.
        expect({ ...answer.product, $typeName: undefined, likes: String(answer.product.likes) }, kind).toEqual({ ...first.product, likes: String(likes), $typeName: undefined });
      }
      const stored = await http('GET', `${sys.dashboardUrl}/api/products/${productId}`);
      expect(stored.body.likes).toBe(4);
    }
  });

  it('speaks plain Connect JSON, as curl would send it', async () => {
    const named = await post(LIKE, JSON.stringify({ id: productId, userId: MISSING }), connectJson);
    expect(named.status, named.text).toBe(404);
    expect(JSON.parse(named.text)).toEqual({ code: 'not_found', message: `user ${MISSING} not found` });
    // A field it does not know is refused, not dropped: this like would have been counted without its user.
    const misspelt = await post(LIKE, JSON.stringify({ id: productId, user_id: MISSING }), connectJson);
    expect(misspelt.status, misspelt.text).toBe(400);
    expect(JSON.parse(misspelt.text)).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('user_id') });
    const plain = await post(LIKE, JSON.stringify({ id: productId }), connectJson);
    expect(plain.status, plain.text).toBe(200);
    // proto3 JSON: lowerCamelCase names, int64 as a string.
    expect(JSON.parse(plain.text)).toEqual({ product: { id: productId, title: 'Browser pen', likes: expect.stringMatching(/^\d+$/) } });
  });

  it('refuses as native gRPC does: NOT_FOUND, INVALID_ARGUMENT, UNAUTHENTICATED', async () => {
    {
      const likes = async () => (await http('GET', `${sys.dashboardUrl}/api/products/${productId}`)).body.likes as number;
      const before = await likes();
      const expected = {
        missing: await nativeLike({ id: MISSING }, { token: TOKEN }),
        invalid: await nativeLike({ id: 'nope' }, { token: TOKEN }),
        unknownUser: await nativeLike({ id: productId, userId: MISSING }, { token: TOKEN }),
        noToken: await nativeLike({ id: productId }),
      };
      expect(expected.missing.code).toBe('NotFound');
      expect(expected.invalid.code).toBe('InvalidArgument');
      expect(expected.unknownUser.code).toBe('NotFound');
      expect(expected.noToken.code).toBe('Unauthenticated');
      for (const kind of Object.keys(transports)) {
        const client = connectClient(kind);
        expect(await connectFailure(client.likeProduct({ id: MISSING }, { headers: auth })), kind).toEqual(expected.missing);
        expect(await connectFailure(client.likeProduct({ id: 'nope' }, { headers: auth })), kind).toEqual(expected.invalid);
        expect(await connectFailure(client.likeProduct({ id: productId, userId: MISSING }, { headers: auth })), kind).toEqual(expected.unknownUser);
        expect(await connectFailure(client.likeProduct({ id: productId })), kind).toEqual(expected.noToken);
        expect(await connectFailure(client.likeProduct({ id: productId }, { headers: { authorization: 'Bearer wrong' } })), kind).toEqual(expected.noToken);
      }
      // Nothing above counted a like.
      expect(await likes()).toBe(before);
    }
  });

  it('a call whose deadline passes gets DEADLINE_EXCEEDED, as over gRPC', async () => {
    // Both dashboard processes frozen: no answer can come before the deadline.
    sys.pause('dashboard');
    sys.pause('dashboard_grpc');
    try {
      const expected = await nativeLike({ id: MISSING }, { token: TOKEN, deadlineMs: 300 });
      expect(expected.code).toBe('DeadlineExceeded');
      for (const kind of Object.keys(transports)) {
        const failure = await connectFailure(connectClient(kind).likeProduct({ id: MISSING }, { headers: auth, timeoutMs: 300 }));
        expect(failure.code, kind).toBe('DeadlineExceeded');
      }
    } finally {
      sys.resume('dashboard');
      sys.resume('dashboard_grpc');
    }
  });

  it('the calls are in the metrics and the log, with their protocol', async () => {
    const requestId = `connect-e2e-${Date.now()}`;
    await expect(connectClient('gRPC-Web').likeProduct({ id: MISSING }, { headers: { ...auth, 'x-request-id': requestId } })).rejects.toThrow(/not found/);
    expect(await handled('OK', 'connect')).toBeGreaterThanOrEqual(2);
    expect(await handled('OK', 'grpc-web')).toBe(1);
    expect(await handled('NOT_FOUND', 'grpc-web')).toBeGreaterThanOrEqual(2);
    expect(await handled('UNAUTHENTICATED', 'connect')).toBeGreaterThanOrEqual(4);
    const line = await waitUntil('the gRPC-Web call in the log', () => logLines('dashboard').find((l) => l.request_id === requestId));
    expect(line).toMatchObject({ msg: 'call', method: '/product.ProductService/LikeProduct', code: 'NOT_FOUND', protocol: 'grpc-web' });
  });
});

/** A raw HTTP call to a method path on the dashboard's REST port. */
async function post(path: string, body: BodyInit, headers: Record<string, string>) {
  const res = await fetch(`${sys.dashboardUrl}${path}`, { method: 'POST', body, headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('latin1') };
}

const LIKE = '/product.ProductService/LikeProduct';
const connectJson = { 'content-type': 'application/json', 'connect-protocol-version': '1', ...auth };

/** A gRPC-Web request frame: flag 0, big-endian length, the message. */
function grpcWebFrame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

describe('hostile requests get clean errors', () => {
  const STACK = /\bat [\w.<>]+ \(|\.(ts|js):\d+/;

  it.each([
    ['malformed JSON', 'application/json', '{"id":', 400, 'invalid_argument'],
    ['a number for a string field', 'application/json', '{"id": 5}', 400, 'invalid_argument'],
    ['a body over the message limit', 'application/json', JSON.stringify({ id: 'x'.repeat(MAX_MESSAGE_BYTES + 10) }), 429, 'resource_exhausted'],
  ])('%s over Connect', async (_what, type, body, status, code) => {
    const res = await post(LIKE, body, { ...connectJson, 'content-type': type });
    expect(res.status, res.text).toBe(status);
    expect(JSON.parse(res.text)).toMatchObject({ code });
    expect(res.text).not.toMatch(STACK);
  });

  it('garbage binary gets what gRPC answers: INVALID_ARGUMENT naming the message type', async () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a]);
    const native = await nativeLike(garbage, { token: TOKEN, raw: true });
    expect(native).toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/^request is not a valid LikeProductRequest message: /) });
    const res = await post(LIKE, garbage, { ...connectJson, 'content-type': 'application/proto' });
    expect(res.status, res.text).toBe(400);
    expect(JSON.parse(res.text)).toEqual({ code: 'invalid_argument', message: native.message });
    const web = await connectFailure(connectClient('gRPC-Web').likeProduct({ id: MISSING }, { headers: auth }));
    expect(web.code).toBe('NotFound');
  });

  it('without the token a body is not even read: UNAUTHENTICATED, whatever its size', async () => {
    const huge = JSON.stringify({ id: 'x'.repeat(MAX_MESSAGE_BYTES * 4) });
    const res = await post(LIKE, huge, { 'content-type': 'application/json', 'connect-protocol-version': '1' });
    expect(res.status, res.text).toBe(401);
    expect(JSON.parse(res.text)).toEqual({ code: 'unauthenticated', message: 'missing or invalid service token' });
    const web = await post(LIKE, grpcWebFrame(Buffer.alloc(MAX_MESSAGE_BYTES * 4, 0xff)), { 'content-type': 'application/grpc-web+proto' });
    expect(web.headers.get('grpc-status') ?? /grpc-status: ?(\d+)/.exec(web.text)?.[1]).toBe(String(Code.Unauthenticated));
  });

  it('a compressed body is inflated (bounded) and checked as the message it holds', async () => {
    const binary = { ...connectJson, 'content-type': 'application/proto', 'content-encoding': 'gzip' };
    const like = proto.product.ProductService.service.LikeProduct.requestSerialize({ id: MISSING, userId: '' });
    const missing = await post(LIKE, gzipSync(like), binary);
    expect(missing.status, missing.text).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ code: 'not_found', message: `product ${MISSING} not found` });
    const garbage = await post(LIKE, gzipSync(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a])), binary);
    expect(JSON.parse(garbage.text)).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/^request is not a valid LikeProductRequest message: /) });
    const broken = await post(LIKE, Buffer.from('not gzip at all'), binary);
    expect(JSON.parse(broken.text)).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('could not be decompressed') });
    const bomb = await post(LIKE, gzipSync(Buffer.alloc(MAX_MESSAGE_BYTES * 8)), binary);
    expect(JSON.parse(bomb.text)).toMatchObject({ code: 'resource_exhausted' });
    const stranger = await post(LIKE, gzipSync(like), { ...binary, authorization: 'Bearer wrong' });
    expect(JSON.parse(stranger.text)).toEqual({ code: 'unauthenticated', message: 'missing or invalid service token' });
  });

  it('a wrong content type gets 415 and the call is logged with it', async () => {
    const res = await post(LIKE, 'id=1', { 'content-type': 'text/plain', ...auth, 'x-request-id': 'connect-e2e-415' });
    expect(res.status).toBe(415);
    const line = await waitUntil('the refused call in the log', () => logLines('dashboard').find((l) => l.request_id === 'connect-e2e-415'));
    expect(line).toMatchObject({ msg: 'call', method: LIKE, code: 'INVALID_ARGUMENT', http_status: 415 });
  });

  it('a gRPC-Web frame of garbage gets INVALID_ARGUMENT in its trailer', async () => {
    const res = await post(LIKE, grpcWebFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])), { 'content-type': 'application/grpc-web+proto', ...auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('grpc-status') ?? /grpc-status: ?(\d+)/.exec(res.text)?.[1]).toBe(String(Code.InvalidArgument));
    expect(res.text).not.toMatch(STACK);
  });

  it("the wire checks of the gRPC server apply: LikeProducts' cap of 1000 likes", async () => {
    const likes = Array.from({ length: 1001 }, () => ({ id: MISSING }));
    const failure = await connectFailure(connectClient('connect JSON').likeProducts({ likes }, { headers: auth }));
    expect(failure).toEqual({ code: 'InvalidArgument', message: 'likes: at most 1000 per call, got 1001' });
  });

  it('a binary LikeProducts of 2,000 empty likes is refused on its bytes, before anything is decoded', async () => {
    const likes = Buffer.from(Array.from({ length: 2000 }, () => [0x0a, 0x00]).flat());
    const res = await post('/product.ProductService/LikeProducts', likes, { ...connectJson, 'content-type': 'application/proto' });
    expect(res.status, res.text).toBe(400);
    expect(JSON.parse(res.text)).toEqual({ code: 'invalid_argument', message: 'likes: at most 1000 per call, got 2000' });
    const web = await post('/product.ProductService/LikeProducts', grpcWebFrame(likes), { 'content-type': 'application/grpc-web+proto', ...auth });
    expect(decodeURIComponent(/grpc-message: ?(.*)\r\n/.exec(web.text)?.[1] ?? '')).toBe('likes: at most 1000 per call, got 2000');
  });

  it('an unknown method is UNIMPLEMENTED, and the server is still up', async () => {
    const failure = await post('/product.ProductService/NoSuchMethod', '{}', connectJson);
    expect(failure.status).toBe(404);
    expect(JSON.parse(failure.text)).toEqual({ code: 'unimplemented', message: "product.ProductService has no method 'NoSuchMethod' (it has LikeProduct, LikeProducts, ListProducts, WatchProducts)" });
    expect((await http('GET', `${sys.dashboardUrl}/healthz`)).status).toBe(200);
  });
});

describe('which port serves which service', () => {
  it("the product service's REST port serves ProductReceiverService (behind the token), the dashboard's does not", async () => {
    const onProduct = await fetch(`${sys.productUrl}/product_receiver.ProductReceiverService/Delete`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'connect-protocol-version': '1' } });
    expect(onProduct.status).toBe(401);
    expect(await onProduct.json()).toMatchObject({ code: 'unauthenticated', message: 'missing or invalid service token' });
    const onDashboard = await post('/product_receiver.ProductReceiverService/Delete', '{}', connectJson);
    expect(onDashboard.status).toBe(404);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(`${sys.dashboardUrl}${LIKE}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,connect-protocol-version' },
    });

  it('answers the preflight of an allowed origin', async () => {
    const origin = `http://127.0.0.1:${pagePort}`;
    const res = await preflight(origin);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it("refuses another origin's preflight, and its call", async () => {
    const res = await preflight('http://evil.test');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const before = (await http('GET', `${sys.dashboardUrl}/api/products/${productId}`)).body.likes;
    const call = await post(LIKE, JSON.stringify({ id: productId }), { ...connectJson, origin: 'http://evil.test' });
    expect(call.status).toBe(403);
    expect(JSON.parse(call.text)).toMatchObject({ code: 'permission_denied' });
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${productId}`)).body.likes).toBe(before);
  });
});

/** A native ProductService client that sends the token with every call. */
function tokenClient(): grpc.Client & Record<string, any> {
  const withToken: grpc.Interceptor = (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(metadata, listener, start) {
        metadata.set('authorization', `Bearer ${TOKEN}`);
        start(metadata, listener);
      },
    });
  return new proto.product.ProductService(sys.dashboardGrpc, grpc.credentials.createInsecure(), { interceptors: [withToken] }) as unknown as grpc.Client & Record<string, any>;
}

/** WatchProducts over a Connect transport, as connect-es delivers it: every message kept, cancellable. */
function connectWatch(kind: string) {
  const abort = new AbortController();
  const messages: { seq: bigint; event: { case?: string; value?: any } }[] = [];
  const stream = connectClient(kind).watchProducts({}, { headers: auth, signal: abort.signal }) as AsyncIterable<(typeof messages)[number]>;
  const ended = (async () => {
    try {
      for await (const message of stream) messages.push(message);
      return 'OK';
    } catch (err) {
      return Code[ConnectError.from(err).code]!;
    }
  })();
  return { messages, ended, cancel: () => abort.abort() };
}

describe('WatchProducts, a server stream, over Connect and gRPC-Web', () => {
  it('streams the snapshot, the ready marker and live changes as native gRPC does', async () => {
    const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Watched pen' });
    const id = created.body.id as string;
    const native = watchProducts(sys.dashboardGrpc, '0', tokenClient());
    const watchers = Object.fromEntries(Object.keys(transports).map((kind) => [kind, connectWatch(kind)]));
    try {
      await native.ready();
      for (const [kind, w] of Object.entries(watchers)) {
        await waitUntil(`${kind}: the ready marker`, () => w.messages.some((m) => m.event.case === 'ready'));
        const snapshot = w.messages.filter((m) => m.event.case === 'snapshot').map((m) => m.event.value.id);
        expect(snapshot, kind).toContain(id);
        expect(snapshot.length, kind).toBe(native.messages.filter((m) => m.event === 'snapshot').length);
      }
      const liked = await http('POST', `${sys.productUrl}/api/products/${id}/like`, { user_id: userIds[0] });
      expect(liked.status, liked.text).toBe(200);
      await native.until('the like in the native stream', (w) => w.state.get(id)?.likes === '1');
      const change = native.messages.find((m) => m.event === 'updated' && m.updated!.id === id)!;
      for (const [kind, w] of Object.entries(watchers)) {
        const seen = await waitUntil(`${kind}: the like`, () => w.messages.find((m) => m.event.case === 'updated' && m.event.value.id === id));
        expect({ seq: String(seen.seq), likes: String(seen.event.value.likes), title: seen.event.value.title }, kind).toEqual({ seq: change.seq, likes: '1', title: 'Watched pen' });
      }
    } finally {
      native.cancel();
      native.close();
      for (const w of Object.values(watchers)) w.cancel();
    }
    for (const [kind, w] of Object.entries(watchers)) expect(await w.ended, kind).toBe('Canceled');
  });

  it('a stream without the token is refused UNAUTHENTICATED', async () => {
    const abort = new AbortController();
    const stream = connectClient('gRPC-Web').watchProducts({}, { signal: abort.signal }) as AsyncIterable<unknown>;
    const drain = async () => {
      for await (const _ of stream) abort.abort();
    };
    expect(await connectFailure(drain())).toEqual({ code: 'Unauthenticated', message: 'missing or invalid service token' });
  });
});

describe('the browser example in headless Chromium', () => {
  it('likes a product over Connect and over gRPC-Web', async () => {
    const page = await serveExample('127.0.0.1', pagePort);
    const browser = await launchBrowser();
    try {
      const tab = await browser.newPage();
      const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Browser pen' });
      const productId = created.body.id as string;
      const before = 0;
      await tab.goto(`${page.url}?api=${encodeURIComponent(sys.dashboardUrl)}&token=${TOKEN}`);
      await tab.fill('#product', productId);
      await tab.click('button[value=connect]');
      await tab.waitForSelector('#answers li[data-protocol=connect]');
      await tab.click('button[value=grpc-web]');
      await tab.waitForSelector('#answers li[data-protocol=grpc-web]');
      const answers = await tab.$$eval('#answers li', (items) => items.map((item) => item.textContent));
      expect(answers).toEqual([`connect: Browser pen has ${before + 1} likes`, `grpc-web: Browser pen has ${before + 2} likes`]);
      // WatchProducts keeps the list live: the likes above, and a like from elsewhere.
      const row = `#products li[data-id="${productId}"]`;
      await tab.waitForFunction(({ row, text }) => document.querySelector(row)?.textContent === text, { row, text: `Browser pen: ${before + 2} likes` });
      expect(await tab.textContent('#watch-status')).toBe('live');
      const elsewhere = await http('POST', `${sys.productUrl}/api/products/${productId}/like`, { user_id: userIds[1] });
      expect(elsewhere.status, elsewhere.text).toBe(200);
      await tab.waitForFunction(({ row, text }) => document.querySelector(row)?.textContent === text, { row, text: `Browser pen: ${before + 3} likes` });
      // A refusal is shown as the client got it.
      await tab.fill('#product', 'nope');
      await tab.click('button[value=grpc-web]');
      await tab.waitForSelector('#answers li.error');
      expect(await tab.textContent('#answers li.error')).toMatch(/^grpc-web: 3: id: /);
    } finally {
      await browser.close();
      await page.stop();
    }
  });
});

describe('shutdown', () => {
  it('ends open streams UNAVAILABLE, so watchers reconnect elsewhere and resume', async () => {
    const w = connectWatch('gRPC-Web');
    await waitUntil('the ready marker', () => w.messages.some((m) => m.event.case === 'ready'));
    expect(await sys.stop('dashboard')).toBe(0);
    expect(await w.ended).toBe('Unavailable');
    await sys.start('dashboard');
  });
});
