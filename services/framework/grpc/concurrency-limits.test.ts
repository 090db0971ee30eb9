/**
 * The call limit (concurrency-limits.ts `callLimitInterceptor`), against a real grpc-js server
 * on loopback whose handler waits until the test lets it answer: calls over the limit are
 * refused RESOURCE_EXHAUSTED before their message is read, and a slot comes back once, when the
 * call is answered or when its client cancels it.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { loadBookService, recordingLogger, retrieveOnlyBookService } from '../../../test/support/library.js';
import { waitUntil } from '../../../test/support/wait.js';
import { startGrpcServer, type RunningGrpcServer } from '../index.js';

const BookService = loadBookService();

let servers: RunningGrpcServer[] = [];
let clients: grpc.Client[] = [];
afterEach(async () => {
  for (const client of clients) client.close();
  await Promise.all(servers.map((server) => server.close(500)));
  servers = [];
  clients = [];
});

/** A server allowing `maxCalls` calls at once, whose Retrieve waits until `release(id)`. */
async function serve(maxCalls: number) {
  const waiting = new Map<string, () => void>();
  const started: string[] = [];
  const service = retrieveOnlyBookService(async ({ id = '' }) => {
    started.push(id);
    await new Promise<void>((resolve) => waiting.set(id, resolve));
    return { id, title: 'ok' };
  });
  const logger = recordingLogger();
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [service], logger, reflection: false, concurrency: { maxCalls } });
  servers.push(server);
  const client = new BookService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  clients.push(client);
  const release = (id: string) => {
    waiting.get(id)!();
    waiting.delete(id);
  };
  /** Calls whose handler has answered (the `call` log line comes just before the status is sent, in the same turn). */
  const answered = () => logger.lines.filter((line) => line.startsWith('info [library] call ')).length;
  return { server, client, started, waiting, release, answered };
}

type Outcome = { code: grpc.status; details?: string };

function retrieve(client: grpc.Client, id: string): { outcome: Promise<Outcome>; call: grpc.ClientUnaryCall } {
  let call!: grpc.ClientUnaryCall;
  const outcome = new Promise<Outcome>((resolve) => {
    call = (client as unknown as { Retrieve: (req: object, cb: grpc.requestCallback<unknown>) => grpc.ClientUnaryCall }).Retrieve({ id }, (err) =>
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK }),
    );
  });
  return { outcome, call };
}

const busy = (maxCalls: number): Outcome => ({ code: grpc.status.RESOURCE_EXHAUSTED, details: `server busy: ${maxCalls} calls in progress; retry with backoff` });

describe('the call limit', () => {
  it('refuses calls over the limit, and admits again once calls are answered', async () => {
    const { client, started, waiting, release } = await serve(2);
    const a = retrieve(client, 'a');
    const b = retrieve(client, 'b');
    await waitUntil('both calls in their handler', () => waiting.size === 2);
    expect(await retrieve(client, 'c').outcome).toEqual(busy(2));
    release('a');
    expect(await a.outcome).toEqual({ code: grpc.status.OK });
    const d = retrieve(client, 'd');
    await waitUntil('d in its handler', () => waiting.has('d'));
    expect(await retrieve(client, 'e').outcome).toEqual(busy(2));
    release('b');
    release('d');
    expect([await b.outcome, await d.outcome]).toEqual([{ code: grpc.status.OK }, { code: grpc.status.OK }]);
    expect(started).toEqual(['a', 'b', 'd']);
  });

  it('refuses a call over the limit before its message is read: bytes that are no message get RESOURCE_EXHAUSTED, not INVALID_ARGUMENT', async () => {
    const { server, client, waiting, release } = await serve(1);
    const a = retrieve(client, 'a');
    await waitUntil('a in its handler', () => waiting.size === 1);
    const raw = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    clients.push(raw);
    // A tag of wire type 7, which no message has.
    const garbage = Buffer.from([0x0f]);
    const send = () =>
      new Promise<Outcome>((resolve) =>
        raw.makeUnaryRequest(
          BookService.service.Retrieve.path,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          garbage,
          (err) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK }),
        ),
      );
    expect(await send()).toEqual(busy(1));
    release('a');
    await a.outcome;
    // Admitted, the same bytes are read, and refused as what they are.
    expect((await send()).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('gives the slot back once when the client cancels, and not again when the handler answers later', async () => {
    const { client, waiting, release, answered } = await serve(1);
    const a = retrieve(client, 'a');
    await waitUntil('a in its handler', () => waiting.size === 1);
    a.call.cancel();
    expect((await a.outcome).code).toBe(grpc.status.CANCELLED);
    // a's handler is still waiting, but its slot is free.
    const b = retrieve(client, 'b');
    await waitUntil('b in its handler', () => waiting.has('b'));
    release('a');
    // a's late answer must not free b's slot as well: a third call is still refused.
    await waitUntil("a's handler to answer", () => answered() === 1);
    expect(await retrieve(client, 'c').outcome).toEqual(busy(1));
    release('b');
    expect(await b.outcome).toEqual({ code: grpc.status.OK });
    const d = retrieve(client, 'd');
    await waitUntil('d in its handler', () => waiting.has('d'));
    release('d');
    expect(await d.outcome).toEqual({ code: grpc.status.OK });
  });
});
