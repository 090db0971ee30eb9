/**
 * The retry policy of createClient's channels, against real grpc-js servers on loopback:
 * UNAVAILABLE is retried (a peer that starts late is reached within the deadline, one that
 * never comes is reported as UNAVAILABLE naming it), other codes are not.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { freePort } from '../../../test/support/ports.js';
import { AppError, createClient, defineService, startGrpcServer, type RunningGrpcServer } from '../index.js';
import { loadBookService, recordingLogger } from '../../../test/support/library.js';
import { RETRY_POLICY } from './clients.js';
import { sleep } from '../../../test/support/wait.js';

const definition = loadBookService().service;

/** A BookService whose Retrieve echoes, Update is UNAVAILABLE and Destroy is NOT_FOUND, counting calls. */
function countingService(calls: Record<string, number>) {
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const unused = async () => ({});
  return defineService(definition, {
    List: unused,
    Create: unused,
    PartialUpdate: unused,
    Explode: unused,
    Retrieve: async (request: { id?: string }) => {
      count('Retrieve');
      return { id: request.id, title: 'found' };
    },
    Update: async () => {
      count('Update');
      throw new AppError('UNAVAILABLE', 'the catalogue is down');
    },
    Destroy: async () => {
      count('Destroy');
      throw AppError.notFound('no such book');
    },
  });
}

let servers: RunningGrpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close(500)));
  servers = [];
});

async function serveOn(port: number, calls: Record<string, number>): Promise<RunningGrpcServer> {
  const server = await startGrpcServer({ host: '127.0.0.1', port, services: [countingService(calls)], logger: recordingLogger() });
  servers.push(server);
  return server;
}

describe('UNAVAILABLE retry', () => {
  it('a call made while the server is down succeeds when the server starts ~500 ms later', async () => {
    const port = await freePort();
    const target = `127.0.0.1:${port}`;
    const calls: Record<string, number> = {};
    const books = createClient(definition, target, { name: 'library gRPC', deadlineMs: 5000 });
    try {
      const pending = books.Retrieve({ id: 'late' });
      await sleep(500);
      await serveOn(port, calls);
      await expect(pending).resolves.toMatchObject({ id: 'late', title: 'found' });
      expect(calls.Retrieve).toBe(1);
    } finally {
      books.close();
    }
  });

  it('a server that never comes back fails with UNAVAILABLE naming the upstream, before the deadline', async () => {
    const target = `127.0.0.1:${await freePort()}`;
    const books = createClient(definition, target, { name: 'library gRPC', deadlineMs: 20_000 });
    try {
      const err = await books.Retrieve({ id: 'never' }).then(
        () => expect.unreachable('the call should fail'),
        (e: unknown) => e as AppError,
      );
      // UNAVAILABLE (not DEADLINE_EXCEEDED): the retry budget ran out long before the 20 s deadline.
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toBe(`library gRPC at ${target} is unavailable`);
    } finally {
      books.close();
    }
  });

  it('retries an UNAVAILABLE answer up to maxAttempts, and never retries other codes', async () => {
    const calls: Record<string, number> = {};
    const server = await serveOn(0, calls);
    const books = createClient(definition, `127.0.0.1:${server.port}`, { name: 'library gRPC', deadlineMs: 10_000 });
    try {
      await expect(books.Update({ id: 'x' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(calls.Update).toBe(RETRY_POLICY.maxAttempts);
      await expect(books.Destroy({ id: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no such book' });
      expect(calls.Destroy).toBe(1);
    } finally {
      books.close();
    }
  });
});
