/**
 * Server-streaming handlers on a real grpc-js server (loopback, port 0): the messages in
 * order, errors mapped as for unary calls, the handler told when the client leaves, no
 * pulling ahead of a client that does not read (nor pushing, for a push stream), and
 * UNAVAILABLE on a graceful close.
 * The stream is the library's List method declared server-streaming.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError, defineService, startGrpcServer, type RunningGrpcServer } from '../index.js';
import { FAKE_SECRET, loadBookService, recordingLogger } from '../../../test/support/library.js';
import { waitUntil } from '../../../test/support/wait.js';
import type { PushStream } from './define-service.js';
import { SHUTDOWN_DETAILS } from './server.js';

const book = loadBookService().service;
const definition = { List: { ...book.List, responseStream: true } } as unknown as grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(definition, 'BookService');

/** What each scenario's handler saw, by the request's `offset` (the scenario number). */
const seen = { pulled: 0, returned: false, aborted: false };
const BIG = 'x'.repeat(64 * 1024);

async function* scenario(request: { offset?: number; limit?: number }, call: { signal: AbortSignal }): AsyncGenerator<unknown> {
  const n = request.limit ?? 0;
  switch (request.offset) {
    case 0: // n messages, then OK
      for (let i = 0; i < n; i++) yield { items: [{ title: `b${i}` }] };
      return;
    case 1: // two messages, then an AppError
      yield { items: [{ title: 'one' }] };
      yield { items: [{ title: 'two' }] };
      throw AppError.notFound('book 42 not found');
    case 2: // an unexpected error whose text must not leak
      yield { items: [] };
      throw new Error(`connect postgres://u:${FAKE_SECRET}@db/x failed`);
    case 3: // endless, waiting on the signal between messages: the client cancels
    case 4: // endless and big: the client does not read
      try {
        for (;;) {
          seen.pulled++;
          yield { items: [{ title: request.offset === 4 ? BIG : `t${seen.pulled}` }] };
          if (request.offset === 4 && seen.pulled >= n) return;
          if (request.offset === 3) await new Promise((resolve) => setImmediate(resolve));
          if (call.signal.aborted) seen.aborted = true;
        }
      } finally {
        seen.returned = true;
      }
    case 5: // waits for the signal only (shutdown)
      yield { items: [{ title: 'ready' }] };
      await new Promise<void>((resolve) => call.signal.addEventListener('abort', () => resolve()));
      seen.aborted = true;
      return;
  }
}

/**
 * Scenario 6: a push stream (as the watch streams are, define-service.ts): n big messages,
 * each written as soon as the sink takes it, waiting for room only when `write` says full.
 */
function pushed(request: { offset?: number; limit?: number }, call: { signal: AbortSignal }): PushStream<unknown> | AsyncGenerator<unknown> {
  if (request.offset !== 6) return scenario(request, call);
  const n = request.limit ?? 0;
  return {
    [Symbol.asyncIterator]: () => scenario(request, call),
    async pushTo(sink) {
      while (seen.pulled < n && !call.signal.aborted) {
        seen.pulled++;
        if (!sink.write({ items: [{ title: `${seen.pulled} ${BIG}` }] })) await sink.drained();
      }
    },
  };
}

let server: RunningGrpcServer;
let client: grpc.Client;
const logger = recordingLogger();

beforeAll(async () => {
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [defineService(definition, { List: pushed } as never)], logger, reflection: false });
  client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await server.close(1000);
});

function open(request: object): grpc.ClientReadableStream<any> {
  return (client as any).List(request) as grpc.ClientReadableStream<any>;
}

/** Every message of a stream and how it ended. */
function drain(call: grpc.ClientReadableStream<any>): Promise<{ messages: any[]; status: grpc.StatusObject }> {
  const messages: any[] = [];
  return new Promise((resolve) => {
    call.on('data', (message) => messages.push(message));
    call.on('error', () => {}); // the status says it
    call.on('status', (status) => resolve({ messages, status }));
  });
}

describe('server-streaming handlers', () => {
  it('sends what the handler yields, in order, then OK, and logs one line with the count', async () => {
    const { messages, status } = await drain(open({ offset: 0, limit: 25 }));
    expect(status.code).toBe(grpc.status.OK);
    expect(messages.map((m) => m.items[0].title)).toEqual(Array.from({ length: 25 }, (_, i) => `b${i}`));
    expect(logger.lines.some((line) => line.includes('"code":"OK"') && line.includes('"messages":25'))).toBe(true);
  });

  it('ends with the AppError status after the messages already sent', async () => {
    const { messages, status } = await drain(open({ offset: 1 }));
    expect(messages).toHaveLength(2);
    expect(status).toMatchObject({ code: grpc.status.NOT_FOUND, details: 'book 42 not found' });
  });

  it('hides an unexpected error behind INTERNAL', async () => {
    const { status } = await drain(open({ offset: 2 }));
    expect(status).toMatchObject({ code: grpc.status.INTERNAL, details: 'internal error' });
    expect(JSON.stringify(status)).not.toContain(FAKE_SECRET);
  });

  it('aborts the signal and returns the iterator when the client cancels', async () => {
    Object.assign(seen, { pulled: 0, returned: false, aborted: false });
    const call = open({ offset: 3 });
    const ended = drain(call);
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    expect((await ended).status.code).toBe(grpc.status.CANCELLED);
    await waitUntil('the handler to be returned', () => seen.returned);
  });

  it('pulls no further ahead of a client that does not read than its buffers hold', async () => {
    Object.assign(seen, { pulled: 0, returned: false, aborted: false });
    const total = 150; // 150 × 64 KiB: far past any buffer
    const call = open({ offset: 4, limit: total });
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.pause();
    // Quiet for 20 polls in a row: the server has stopped pulling (waiting for 'drain').
    let last = -1;
    let quiet = 0;
    await waitUntil('the server to stop pulling', () => {
      quiet = seen.pulled === last ? quiet + 1 : 0;
      last = seen.pulled;
      return quiet >= 20;
    });
    expect(seen.pulled).toBeLessThan(total / 2);
    const rest = drain(call);
    call.resume();
    const { messages, status } = await rest;
    expect(status.code).toBe(grpc.status.OK);
    expect(messages.length).toBeGreaterThan(total / 2);
  });

  it('writes a push stream as it pushes, in order, waiting for room only when the client does not read', async () => {
    Object.assign(seen, { pulled: 0, returned: false, aborted: false });
    const total = 150;
    const call = open({ offset: 6, limit: total });
    const messages: any[] = [];
    const ended = new Promise<grpc.StatusObject>((resolve) => {
      call.on('error', () => {}); // the status says it
      call.on('status', resolve);
    });
    // Stop reading at the first message (in its own event, so none is emitted unheard).
    await new Promise<void>((resolve) =>
      call.on('data', (message) => {
        if (messages.push(message) === 1) {
          call.pause();
          resolve();
        }
      }),
    );
    let last = -1;
    let quiet = 0;
    await waitUntil('the push stream to wait for room', () => {
      quiet = seen.pulled === last ? quiet + 1 : 0;
      last = seen.pulled;
      return quiet >= 20;
    });
    expect(seen.pulled).toBeLessThan(total / 2);
    call.resume();
    expect((await ended).code).toBe(grpc.status.OK);
    const order = messages.map((m) => Number(m.items[0].title.split(' ')[0]));
    expect(order).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('ends open streams UNAVAILABLE, telling the client to reconnect, when the server closes', async () => {
    const own = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [defineService(definition, { List: scenario } as never)], logger, reflection: false });
    const ownClient = new Client(`127.0.0.1:${own.port}`, grpc.credentials.createInsecure());
    try {
      const call = (ownClient as any).List({ offset: 5 }) as grpc.ClientReadableStream<any>;
      const ended = drain(call);
      await new Promise<void>((resolve) => call.once('data', () => resolve()));
      await own.close(5000);
      expect((await ended).status).toMatchObject({ code: grpc.status.UNAVAILABLE, details: SHUTDOWN_DETAILS });
    } finally {
      ownClient.close();
    }
  });
});
