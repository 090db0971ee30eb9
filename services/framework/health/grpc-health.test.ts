/**
 * grpc.health.v1 on a server started by startGrpcServer (real grpc-js, loopback): SERVING
 * for "" and each served service once listening, NOT_FOUND for unknown names, and
 * NOT_SERVING pushed to watchers the moment a drain starts, while an in-flight call still
 * completes and new calls are refused.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { createClient, defineService, healthService, startGrpcServer, type RunningGrpcServer } from '../index.js';
import { loadBookService, recordingLogger } from '../../../test/support/library.js';

const definition = loadBookService().service;

/** A BookService whose Create waits until `release()` is called. */
function slowBookService() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const startedCall = new Promise<void>((resolve) => (started = resolve));
  const unused = async () => ({});
  const service = defineService(definition, {
    List: unused,
    Retrieve: unused,
    Update: unused,
    PartialUpdate: unused,
    Destroy: unused,
    Explode: unused,
    Create: async (request: { title?: string }) => {
      started();
      await released;
      return { title: request.title };
    },
  });
  return { service, release, startedCall };
}

let server: RunningGrpcServer | undefined;
const clients: grpc.Client[] = [];
afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  await server?.close(500);
  server = undefined;
});

function healthClient(target: string) {
  return createClient(healthService(), target, { name: 'health', deadlineMs: 2000 }) as unknown as {
    Check(request: { service: string }): Promise<{ status: string }>;
    close(): void;
  };
}

describe('grpc.health.v1 on startGrpcServer', () => {
  it('reports SERVING for the server and each service once listening, NOT_FOUND for others', async () => {
    const { service } = slowBookService();
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [service], logger: recordingLogger() });
    const health = healthClient(`127.0.0.1:${server.port}`);
    try {
      expect(server.health.names).toEqual(['', 'library.BookService']);
      await expect(health.Check({ service: '' })).resolves.toEqual({ status: 'SERVING' });
      await expect(health.Check({ service: 'library.BookService' })).resolves.toEqual({ status: 'SERVING' });
      await expect(health.Check({ service: 'nope.Nothing' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Health status unknown for service nope.Nothing' });
      server.health.notServing();
      await expect(health.Check({ service: '' })).resolves.toEqual({ status: 'NOT_SERVING' });
    } finally {
      health.close();
    }
  });

  it('a drain pushes NOT_SERVING to watchers, finishes the in-flight call, and refuses new calls', async () => {
    const { service, release, startedCall } = slowBookService();
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [service], logger: recordingLogger() });
    const target = `127.0.0.1:${server.port}`;

    const raw = new grpc.Client(target, grpc.credentials.createInsecure());
    clients.push(raw);
    const watch = raw.makeServerStreamRequest(
      healthService().Watch.path,
      healthService().Watch.requestSerialize,
      healthService().Watch.responseDeserialize,
      { service: 'library.BookService' },
    );
    watch.on('error', () => undefined); // cancelled when the server closes
    const statuses: string[] = [];
    const sawNotServing = new Promise<void>((resolve) =>
      watch.on('data', (message: { status: string }) => {
        statuses.push(message.status);
        if (message.status === 'NOT_SERVING') resolve();
      }),
    );

    const books = createClient(definition, target, { name: 'library gRPC', deadlineMs: 10_000 });
    try {
      const inFlight = books.Create({ title: 'Slow' });
      await startedCall;
      // A grace far above the test timeout: the close must end because the call did, not by the timer.
      const closed = server.close(120_000);
      await sawNotServing;
      expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);

      // A fresh connection (its own channel) is refused while the call is still running.
      const fresh = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.enable_retries': 0 });
      clients.push(fresh);
      const refused = await new Promise<grpc.ServiceError | null>((resolve) =>
        fresh.makeUnaryRequest(
          healthService().Check.path,
          healthService().Check.requestSerialize,
          healthService().Check.responseDeserialize,
          { service: '' },
          { deadline: Date.now() + 2000 },
          (err) => resolve(err),
        ),
      );
      expect(refused?.code).toBe(grpc.status.UNAVAILABLE);

      release();
      await expect(inFlight).resolves.toMatchObject({ title: 'Slow' });
      await closed;
    } finally {
      release();
      books.close();
    }
  });
});
