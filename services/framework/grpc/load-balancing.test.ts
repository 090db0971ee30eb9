/**
 * Client-side load balancing across replicas of a peer, against real grpc-js servers on
 * loopback: an `ipv4:` list spreads calls over every replica (round_robin), a replica that
 * stops is routed around without a failed call, one that comes back gets calls again, and
 * `dns:` targets resolve.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { eventually, pool } from '../../../test/support/eventually.js';
import { freePort } from '../../../test/support/ports.js';
import { AppError, createClient, startGrpcServer, type RunningGrpcServer } from '../index.js';
import { loadBookService, recordingLogger, retrieveOnlyBookService } from '../../../test/support/library.js';

const definition = loadBookService().service;

/** A BookService whose Retrieve answers with the name of the replica that served it. */
function replica(name: string, calls: Record<string, number>) {
  return retrieveOnlyBookService(async (request) => {
    calls[name] = (calls[name] ?? 0) + 1;
    return { id: request.id, title: name };
  });
}

let servers: RunningGrpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close(500)));
  servers = [];
});

async function serve(name: string, port: number, calls: Record<string, number>): Promise<RunningGrpcServer> {
  const server = await startGrpcServer({ host: '127.0.0.1', port, services: [replica(name, calls)], logger: recordingLogger() });
  servers.push(server);
  return server;
}

const reset = (calls: Record<string, number>) => {
  for (const key of Object.keys(calls)) delete calls[key];
};

describe('round_robin over replicas', () => {
  it('spreads calls over every address of an ipv4: list, routes around a stopped replica and returns to a restarted one', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const calls: Record<string, number> = {};
    let a = await serve('A', portA, calls);
    await serve('B', portB, calls);
    const target = `ipv4:127.0.0.1:${portA},127.0.0.1:${portB}`;
    const books = createClient(definition, target, { name: 'library gRPC', deadlineMs: 5000 });
    try {
      // Connections come up one by one; once both replicas have answered, both are READY.
      await eventually(
        () => books.Retrieve({ id: 'warm-up' }),
        () => (calls.A ?? 0) > 0 && (calls.B ?? 0) > 0,
      );
      expect(calls.A).toBeGreaterThan(0);
      expect(calls.B).toBeGreaterThan(0);

      reset(calls);
      for (let i = 0; i < 20; i++) await books.Retrieve({ id: String(i) });
      expect(calls).toEqual({ A: 10, B: 10 });

      // Replica A stops while calls are in flight: every call still succeeds (on B).
      reset(calls);
      const during = pool(60, 4, (i) => books.Retrieve({ id: `during-${i}` }));
      await a.close(200);
      const answers = await during;
      expect(answers).toHaveLength(60);
      expect(answers.every((answer) => answer.title === 'A' || answer.title === 'B')).toBe(true);

      reset(calls);
      for (let i = 0; i < 10; i++) await books.Retrieve({ id: `after-${i}` });
      expect(calls).toEqual({ B: 10 });

      // A is back on its port: the channel reconnects (backoff at most 1 s) and uses it again.
      reset(calls);
      a = await serve('A', portA, calls);
      await eventually(
        () => books.Retrieve({ id: 'back' }),
        () => (calls.A ?? 0) > 0,
        10_000,
      );
      expect(calls.A).toBeGreaterThan(0);
    } finally {
      books.close();
    }
  });

  it('resolves a dns: target, and names it in errors once nothing answers', async () => {
    const calls: Record<string, number> = {};
    const server = await serve('only', 0, calls);
    const target = `dns:localhost:${server.port}`;
    const books = createClient(definition, target, { name: 'library gRPC', deadlineMs: 5000 });
    try {
      // localhost may also resolve to ::1, where nothing listens: round_robin uses 127.0.0.1.
      await expect(books.Retrieve({ id: 'x' })).resolves.toMatchObject({ id: 'x', title: 'only' });
      await server.close(200);
      const err = await books.Retrieve({ id: 'y' }).then(
        () => expect.unreachable('the call should fail'),
        (e: unknown) => e as AppError,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toBe(`library gRPC at ${target} is unavailable`);
    } finally {
      books.close();
    }
  });
});
