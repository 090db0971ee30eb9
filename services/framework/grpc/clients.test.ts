/**
 * createClient against real grpc-js servers on loopback ports: errors that name the
 * upstream, deadlines, pass-through of the caller's mistakes, metadata, and the shared
 * channel per target.
 */

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError, createClient, defineService, startGrpcServer, type CallContext, type RunningGrpcServer } from '../index.js';
import { loadBookService, recordingLogger, startLibrary, type Library } from '../../../test/support/library.js';
import { freePort } from '../../../test/support/ports.js';
import { sleep } from '../../../test/support/wait.js';

const definition = loadBookService().service;
const MISSING_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
/** How long the probe's slow handler takes. */
const SLOW_MS = 1000;

let lib: Library;
let probe: RunningGrpcServer;
let probeTarget: string;
/** What the probe server saw of its last slow call once the handler finished. */
const seen: { aborted?: boolean } = {};


beforeAll(async () => {
  lib = await startLibrary();
  // A server whose handlers show what a client sends, and one that is slow.
  const echo = async (request: { id?: string }, call: CallContext) => ({
    id: request.id,
    title: String(call.metadata.get('x-request-id')[0] ?? ''),
  });
  const service = defineService(definition, {
    List: async () => ({ items: [] }),
    Retrieve: echo,
    Create: async (_request: unknown, call: CallContext) => {
      await sleep(SLOW_MS);
      seen.aborted = call.signal.aborted;
      return {};
    },
    Update: async () => {
      throw new AppError('UNAVAILABLE', 'the catalogue is down');
    },
    PartialUpdate: echo,
    Destroy: async () => ({}),
    Explode: async () => {
      throw new Error('secret');
    },
  });
  probe = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [service], logger: recordingLogger() });
  probeTarget = `127.0.0.1:${probe.port}`;
});

afterAll(async () => {
  await probe?.close(500);
  await lib?.close();
});

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => expect.unreachable('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('createClient', () => {
  it('calls an RPC and resolves the decoded response', async () => {
    const books = createClient(definition, lib.grpcTarget, { name: 'library gRPC' });
    try {
      expect(books.target).toBe(lib.grpcTarget);
      const created = (await books.Create({ title: 'Dune', pages: 412 })) as { id: string; pages: string };
      expect(created.pages).toBe('412');
      expect(await books.Retrieve({ id: created.id })).toEqual(created);
    } finally {
      books.close();
    }
  });

  it('a port with nothing listening is UNAVAILABLE, naming the upstream and its address', async () => {
    const target = `127.0.0.1:${await freePort()}`;
    const down = createClient(definition, target, { name: 'library gRPC', deadlineMs: 3000 });
    try {
      const err = await appError(down.Retrieve({ id: MISSING_ID }));
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toBe(`library gRPC at ${target} is unavailable`);
      expect(err.httpStatus).toBe(503);
    } finally {
      down.close();
    }
  });

  it('a deadline shorter than the handler is DEADLINE_EXCEEDED, and the handler sees the abort', async () => {
    const slow = createClient(definition, probeTarget, { name: 'probe', deadlineMs: 100 });
    try {
      const started = Date.now();
      const err = await appError(slow.Create({}));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      expect(err.message).toBe(`probe at ${probeTarget} did not answer in time`);
      expect(Date.now() - started).toBeLessThan(SLOW_MS - 300);
      await sleep(SLOW_MS + 100);
      expect(seen.aborted).toBe(true);
      // A per-call deadline overrides the client's.
      await expect(slow.Create({}, { deadlineMs: 5000 })).resolves.toMatchObject({ id: '', title: '' });
      expect(seen.aborted).toBe(false);
    } finally {
      slow.close();
    }
  });

  it("passes the caller's mistakes through with their message", async () => {
    const books = createClient(definition, lib.grpcTarget, { name: 'library gRPC' });
    try {
      const missing = await appError(books.Retrieve({ id: MISSING_ID }));
      expect(missing.toJSON()).toEqual({ code: 'NOT_FOUND', message: `book ${MISSING_ID} not found` });
      const invalid = await appError(books.Create({ title: '' }));
      expect(invalid.toJSON()).toEqual({ code: 'INVALID_ARGUMENT', message: 'title: is required' });
      await books.Create({ title: 'A', isbn: '1234567890' });
      expect((await appError(books.Create({ title: 'B', isbn: '1234567890' }))).code).toBe('ALREADY_EXISTS');
    } finally {
      books.close();
    }
  });

  it("reports an upstream's own failures as INTERNAL naming the upstream", async () => {
    const books = createClient(definition, lib.grpcTarget, { name: 'library gRPC' });
    try {
      expect((await appError(books.Explode({ id: MISSING_ID }))).toJSON()).toEqual({ code: 'INTERNAL', message: 'library gRPC failed: internal error' });
    } finally {
      books.close();
    }
  });

  it('sends metadata', async () => {
    const probeClient = createClient(definition, probeTarget, { name: 'probe' });
    try {
      const metadata = new grpc.Metadata();
      metadata.set('x-request-id', 'req-42');
      expect(await probeClient.Retrieve({ id: 'a' }, { metadata })).toMatchObject({ id: 'a', title: 'req-42' });
    } finally {
      probeClient.close();
    }
  });
});

describe('one channel per target', () => {
  it('closing one client leaves another on the same target working; after both, a new one works', async () => {
    const first = createClient(definition, probeTarget, { name: 'probe' });
    const second = createClient(definition, probeTarget, { name: 'probe' });
    expect(await first.Retrieve({ id: '1' })).toMatchObject({ id: '1' });
    expect(await second.Retrieve({ id: '2' })).toMatchObject({ id: '2' });

    first.close();
    first.close(); // a second close must not release the channel again
    expect(await second.Retrieve({ id: '3' })).toMatchObject({ id: '3' });

    second.close();
    const third = createClient(definition, probeTarget, { name: 'probe' });
    try {
      expect(await third.Retrieve({ id: '4' })).toMatchObject({ id: '4' });
    } finally {
      third.close();
    }
  });

  it('a closed client fails its calls instead of hanging', async () => {
    const other = createClient(definition, probeTarget, { name: 'probe', deadlineMs: 1000 });
    other.close();
    const err = await other.Retrieve({ id: '1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).toMatch(/shut ?down|closed/i);
  });

  it('clients of different targets are independent', async () => {
    const probeClient = createClient(definition, probeTarget, { name: 'probe' });
    const books = createClient(definition, lib.grpcTarget, { name: 'library gRPC' });
    books.close();
    try {
      expect(await probeClient.Retrieve({ id: '5' })).toMatchObject({ id: '5' });
    } finally {
      probeClient.close();
    }
  });
});
