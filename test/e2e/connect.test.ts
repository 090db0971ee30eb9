/**
 * The gRPC services over Connect (JSON and binary) and gRPC-Web on the REST ports of the
 * four real processes (built dist/, a service token and one allowed web origin): Node
 * clients over each protocol get the same answers and the same errors as native gRPC, the
 * calls show in the metrics and the log with their protocol, CORS answers an allowed origin's
 * preflight and refuses another's, hostile bodies get clean errors, and a headless Chromium
 * runs the browser example (examples/browser/) against the system.
 */
import { Code, ConnectError, createClient as createConnectClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import type { DescService } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serveExample } from '../../examples/browser/build.js';
import { connectServiceOf } from '../../services/framework/connect/descriptors.js';
import * as grpc from '@grpc/grpc-js';
import { proto } from '../../services/stubs/index.js';
import { launchBrowser } from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { http, startSystem, type ProcessName, type RunningSystem } from '../support/system.js';
import { waitUntil } from '../support/wait.js';

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
function nativeLike(request: object, options: { token?: string; deadlineMs?: number } = {}): Promise<{ response?: any; code?: string; message?: string }> {
  const method = proto.product.ProductService.service.LikeProduct;
  const client = new grpc.Client(sys.dashboardGrpc, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request as never, metadata, { deadline: Date.now() + (options.deadlineMs ?? 5000) }, (err, response) => {
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

  it('refuses as native gRPC does: NOT_FOUND, INVALID_ARGUMENT, UNAUTHENTICATED', async () => {
    {
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
      expect((await http('GET', `${sys.dashboardUrl}/api/products/${productId}`)).body.likes).toBe(4);
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
