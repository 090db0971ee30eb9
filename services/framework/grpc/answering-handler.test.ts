/**
 * A unary handler that answers through callbacks (AnsweringUnaryHandler), against a real
 * grpc-js server on loopback: the server takes its `answer` over the function, the response
 * and every kind of failure reach the client as a promise handler's would (AppError's status,
 * a throw mapped to INTERNAL without its message), the call's log line says the status, and
 * the handler runs under the call's request id.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { loadBookService, recordingLogger } from '../../../test/support/library.js';
import { AppError, createClient, currentRequestId, defineService, startGrpcServer, type AnsweringUnaryHandler, type RunningGrpcServer } from '../index.js';

const definition = loadBookService().service;

type Book = { id?: string; title?: string };

/** Retrieve answered through callbacks by id: `ok`, `missing` (NOT_FOUND), `thrown` (throws in answer), `failed` (fail with a plain Error). */
const retrieve: AnsweringUnaryHandler<Book, Book> = Object.assign(
  async (): Promise<Book> => {
    throw new Error('the server must use answer(), not the promise form');
  },
  {
    answer(request: Book, _call: unknown, respond: (book: Book) => void, fail: (error: unknown) => void) {
      if (request.id === 'thrown') throw new Error('secret detail from answer');
      // Answered a turn later, as a batch would be.
      setImmediate(() => {
        if (request.id === 'missing') fail(AppError.notFound(`book ${request.id} not found`));
        else if (request.id === 'failed') fail(new Error('secret detail from fail'));
        else respond({ id: request.id, title: currentRequestId() ?? 'none' });
      });
    },
  },
);

let servers: RunningGrpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close(500)));
  servers = [];
});

async function serve() {
  const unused = async () => ({});
  const service = defineService(definition, { List: unused, Create: unused, Update: unused, PartialUpdate: unused, Destroy: unused, Explode: unused, Retrieve: retrieve } as never);
  const logger = recordingLogger();
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [service], logger, reflection: false });
  servers.push(server);
  return { books: createClient(definition, `127.0.0.1:${server.port}`, { name: 'library', retry: { maxAttempts: 1 } }), logger };
}

const codes = (lines: string[]) => lines.filter((line) => line.startsWith('info [library] call ')).map((line) => (JSON.parse(line.slice('info [library] call '.length)) as { code: string }).code);

describe('a handler that answers through callbacks', () => {
  it('answers through answer(), under the call request id, with each failure mapped as a throw would be', async () => {
    const { books, logger } = await serve();
    const metadata = new grpc.Metadata();
    metadata.set('x-request-id', 'answering-1');
    expect(await books.Retrieve({ id: 'ok' }, { metadata })).toMatchObject({ id: 'ok', title: 'answering-1' });
    // The client maps a status back to an AppError (clients.ts).
    await expect(books.Retrieve({ id: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('book missing not found') });
    for (const id of ['thrown', 'failed']) {
      const err = (await books.Retrieve({ id }).catch((e: unknown) => e)) as AppError;
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('INTERNAL');
      expect(err.message).not.toContain('secret');
    }
    expect(codes(logger.lines)).toEqual(['OK', 'NOT_FOUND', 'INTERNAL', 'INTERNAL']);
    // The cause of each INTERNAL goes to the server's log, not to the client.
    expect(logger.lines.filter((line) => line.startsWith('error [library] call failed')).join('\n')).toMatch(/secret detail from answer[\s\S]*secret detail from fail/);
  });

  it('answers many concurrent calls, each its own', async () => {
    const { books } = await serve();
    const ids = Array.from({ length: 50 }, (_, i) => `book-${i}`);
    const answers = (await Promise.all(ids.map((id) => books.Retrieve({ id })))) as Book[];
    expect(answers.map((answer) => answer.id)).toEqual(ids);
  });
});
