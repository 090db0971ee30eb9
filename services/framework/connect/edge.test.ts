/**
 * The Connect edge in-process, on the framework's library proto with handlers that show what
 * they were given: a client's timeout reaches the handler as CallContext.signal, metadata and
 * the request id arrive, an unexpected error is INTERNAL with its cause in the log only, and
 * the call limit refuses the call past it. A real REST app on a loopback port, a real
 * connect-node client.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';

import type { DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { recordingLogger } from '../../../test/support/library.js';
import { waitUntil } from '../../../test/support/wait.js';
import { AppError } from '../errors.js';
import { defineService, type CallContext } from '../grpc/define-service.js';
import { LOADER_OPTIONS } from '../grpc/loader-options.js';
import { createRestApp } from '../rest/app.js';
import { Router } from '../rest/express.js';
import { connectServiceOf } from './descriptors.js';
import { connectEdge } from './edge.js';

const loaded = protoLoader.loadSync(fileURLToPath(new URL('../../../test/support/library.proto', import.meta.url)), LOADER_OPTIONS);
const definition = loaded['library.BookService'] as unknown as grpc.ServiceDefinition;

const logger = recordingLogger();
let seen: { signal?: AbortSignal; call?: CallContext } = {};
let releaseList: () => void = () => {};
/** Set once List's handler holds its call open. */
let listEntered = false;
const book = { id: '1', title: 'Dune', isbn: '', pages: '412', createdAt: '' };

const service = defineService(definition as any, {
  async List() {
    listEntered = true;
    await new Promise<void>((resolve) => (releaseList = resolve));
    return { items: [book] };
  },
  async Retrieve(_request: unknown, call: CallContext) {
    seen = { signal: call.signal, call };
    await new Promise((resolve) => call.signal.addEventListener('abort', resolve, { once: true }));
    throw AppError.notFound('never answered');
  },
  async Create(request: any, call: CallContext) {
    seen = { call };
    return { ...request, id: '7' };
  },
  async Update() {
    return book;
  },
  async PartialUpdate() {
    return book;
  },
  async Destroy() {
    return {};
  },
  async Explode() {
    throw new Error('SELECT secret FROM books');
  },
} as any);

let server: http.Server;
let baseUrl: string;
let client: Client<DescService> & Record<string, any>;

beforeAll(async () => {
  const rpc = connectEdge({ services: [service], logger, concurrency: { maxCalls: 1 } });
  server = http.createServer(createRestApp({ api: Router(), logger, rpc }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  client = createClient(connectServiceOf(definition), createConnectTransport({ baseUrl, httpVersion: '1.1' })) as Client<DescService> & Record<string, any>;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    const error = ConnectError.from(err);
    return { code: error.code, message: error.rawMessage };
  }
  throw new Error('the call succeeded');
}

describe('the Connect edge', () => {
  it('hands the handler the proto-loader shape, the metadata and the request id', async () => {
    const created = await client.create({ title: 'Dune', pages: 412n }, { headers: { 'x-request-id': 'edge-test-1', 'x-tenant': 'blue' } });
    expect(created).toMatchObject({ id: '7', title: 'Dune', pages: 412n });
    expect(seen.call!.metadata.get('x-tenant')).toEqual(['blue']);
    expect(seen.call!.method).toBe('/library.BookService/Create');
    expect(logger.lines.find((line) => line.includes('"request_id":"edge-test-1"'))).toMatch(/^info \[library\] call .*"method":"\/library.BookService\/Create","code":"OK".*"protocol":"connect"/);
  });

  it("turns the client's timeout into the handler's signal, and answers DEADLINE_EXCEEDED", async () => {
    // The timeout header alone, no client-side timer: the server's deadline is what answers.
    const res = await fetch(`${baseUrl}/library.BookService/Retrieve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', 'connect-timeout-ms': '200' },
      body: '{"id":"1"}',
    });
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ code: 'deadline_exceeded', message: 'the operation timed out' });
    expect(seen.signal?.aborted).toBe(true);
    await waitUntil('the call logged', () => logger.lines.find((line) => line.includes('/library.BookService/Retrieve') && line.includes('"code":"DEADLINE_EXCEEDED"')));
  });

  it('answers an unexpected error INTERNAL, its cause in the log only', async () => {
    expect(await failure(client.explode({ id: '1' }))).toEqual({ code: Code.Internal, message: 'internal error' });
    expect(logger.lines.some((line) => line.startsWith('error') && line.includes('SELECT secret FROM books'))).toBe(true);
  });

  it('refuses a call past the call limit RESOURCE_EXHAUSTED, and takes the next once one ends', async () => {
    const first = client.list({});
    await waitUntil('the first call to be in its handler', () => listEntered);
    expect(await failure(client.create({ title: 'x' }))).toEqual({ code: Code.ResourceExhausted, message: 'server busy: 1 calls in progress; retry with backoff' });
    releaseList();
    expect((await first).items).toHaveLength(1);
    expect((await client.create({ title: 'x' })).id).toBe('7');
  });
});
