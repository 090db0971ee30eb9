/**
 * A gRPC call's request id, made on first use: against a real grpc-js server on loopback, a
 * call without `x-request-id` gets one fresh UUID, the same in its handler and in its `call`
 * log line; a caller's usable id is kept; and a server whose logger writes no info line still
 * hands its handlers an id.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { loadBookService, recordingLogger, retrieveOnlyBookService } from '../../../test/support/library.js';
import { createClient, currentRequestId, startGrpcServer, type Logger, type RunningGrpcServer } from '../index.js';

const definition = loadBookService().service;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A BookService whose Retrieve answers with the request id it ran under, as the title. */
const echoingService = () => retrieveOnlyBookService(async (request) => ({ id: request.id, title: currentRequestId() ?? 'none' }));

let servers: RunningGrpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close(500)));
  servers = [];
});

async function serve(logger: Logger) {
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [echoingService()], logger, reflection: false });
  servers.push(server);
  return createClient(definition, `127.0.0.1:${server.port}`, { name: 'library' });
}

const callLines = (lines: string[]) => lines.filter((line) => line.startsWith('info [library] call ')).map((line) => JSON.parse(line.slice('info [library] call '.length)) as { request_id: string; method: string });

describe('request id of a gRPC call', () => {
  it('without x-request-id: one fresh UUID per call, the same in the handler and in the call line', async () => {
    const logger = recordingLogger();
    const books = await serve(logger);
    const first = (await books.Retrieve({ id: 'a' })) as { title: string };
    const second = (await books.Retrieve({ id: 'b' })) as { title: string };
    expect(first.title).toMatch(UUID);
    expect(second.title).toMatch(UUID);
    expect(second.title).not.toBe(first.title);
    expect(callLines(logger.lines).map((line) => line.request_id)).toEqual([first.title, second.title]);
  });

  it("keeps a caller's usable id, and replaces an unusable one", async () => {
    const logger = recordingLogger();
    const books = await serve(logger);
    const given = new grpc.Metadata();
    given.set('x-request-id', 'trace-42');
    expect(await books.Retrieve({ id: 'a' }, { metadata: given })).toMatchObject({ title: 'trace-42' });
    const bad = new grpc.Metadata();
    bad.set('x-request-id', 'has space');
    const replaced = (await books.Retrieve({ id: 'b' }, { metadata: bad })) as { title: string };
    expect(replaced.title).toMatch(UUID);
    expect(callLines(logger.lines).map((line) => line.request_id)).toEqual(['trace-42', replaced.title]);
  });

  it('a server that writes no info line still gives each handler its own id', async () => {
    const logger = recordingLogger();
    const quiet: Logger = { ...logger, enabled: (level) => level !== 'info' && level !== 'debug' };
    const books = await serve(quiet);
    const answers = (await Promise.all(['a', 'b', 'c'].map((id) => books.Retrieve({ id })))) as { title: string }[];
    for (const answer of answers) expect(answer.title).toMatch(UUID);
    expect(new Set(answers.map((answer) => answer.title)).size).toBe(3);
    expect(callLines(logger.lines)).toEqual([]);
  });
});
