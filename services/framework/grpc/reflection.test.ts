/**
 * Server reflection on a server started by startGrpcServer (real grpc-js, loopback) for a
 * service written on the framework with its own proto (the test library): listed with
 * health, its file and imports answered, and off when `reflection: false`.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';

import { decodeFiles, reflect } from '../../../test/support/reflection.js';
import { defineService, startGrpcServer, type RunningGrpcServer } from '../index.js';
import { loadBookService, recordingLogger } from '../../../test/support/library.js';

const definition = loadBookService().service;
const unused = async () => ({});
const books = defineService(definition, { List: unused, Retrieve: unused, Create: unused, Update: unused, PartialUpdate: unused, Destroy: unused, Explode: unused });

let server: RunningGrpcServer | undefined;
afterEach(async () => {
  await server?.close(100);
  server = undefined;
});

it('lists the served service and health, and answers the file of a symbol with its imports', async () => {
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [books], logger: recordingLogger().logger });
  const address = `127.0.0.1:${server.port}`;
  const [listing, file] = await reflect(address, [{ list_services: '*' }, { file_containing_symbol: 'library.BookService.Destroy' }]);
  expect(listing.list_services_response!.service.map((s) => s.name).sort()).toEqual(['grpc.health.v1.Health', 'library.BookService']);
  const files = decodeFiles(file);
  const library = files.find((f) => f.package === 'library')!;
  expect(library.service[0].method.map((m) => m.name)).toContain('Destroy');
  expect(library.messageType.map((m) => m.name)).toContain('Book');
  expect(library.dependency).toHaveLength(1);
  expect(files.find((f) => f.name === library.dependency[0])?.messageType.map((m) => m.name)).toContain('Empty');
});

it('is off with reflection: false (UNIMPLEMENTED, as for any unknown service)', async () => {
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [books], logger: recordingLogger().logger, reflection: false });
  await expect(reflect(`127.0.0.1:${server.port}`, [{ list_services: '*' }])).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
});
