/**
 * The framework layer on a model of its own (Book), against real parts: a SQLite file in a
 * temp dir, a grpc-js server on a loopback port, an express app on a loopback port.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Router } from 'express';
import { DataTypes, Model, type Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { LOADER_OPTIONS } from './grpc/loader-options.js';
import {
  AppError,
  createClient,
  createRestApp,
  createLogger,
  defineService,
  migrate,
  modelActions,
  modelViewSet,
  ModelResource,
  ModelSerializer,
  openDatabase,
  pendingMigrations,
  startGrpcServer,
  type Migration,
  type RunningGrpcServer,
} from './index.js';

const PROTO = `syntax = "proto3";
package library;
import "google/protobuf/empty.proto";
service BookService {
  rpc List(ListBooksRequest) returns (ListBooksResponse) {}
  rpc Retrieve(BookRequest) returns (Book) {}
  rpc Create(Book) returns (Book) {}
  rpc Update(Book) returns (Book) {}
  rpc PartialUpdate(Book) returns (Book) {}
  rpc Destroy(BookRequest) returns (google.protobuf.Empty) {}
  rpc Explode(BookRequest) returns (Book) {}
}
message Book { string id = 1; string title = 2; string isbn = 3; string note = 4; }
message BookRequest { string id = 1; }
message ListBooksRequest { int32 limit = 1; int32 offset = 2; }
message ListBooksResponse { repeated Book items = 1; }
`;

class Book extends Model {
  declare id: string;
  declare title: string;
  declare isbn: string;
  declare note: string | null;
}

const migrations: Migration[] = [
  {
    name: '0001-books',
    async up({ queryInterface, DataTypes: T }) {
      await queryInterface.createTable('books', {
        id: { type: T.UUID, primaryKey: true },
        title: { type: T.STRING(200), allowNull: false },
        isbn: { type: T.STRING(20), allowNull: false, unique: true },
        note: { type: T.STRING(200), allowNull: true },
        created_at: T.DATE,
        updated_at: T.DATE,
      });
    },
  },
];

const serializer = new ModelSerializer<Book>({
  fields: ['id', 'title', 'isbn', 'note'] as never,
  readOnly: ['id'] as never,
  schema: z.object({
    title: z.string({ error: 'is required' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    isbn: z.string({ error: 'is required' }).regex(/^\d{10,13}$/, 'must be 10 to 13 digits'),
    note: z.string().max(200).nullable().optional(),
  }),
});

let dir: string;
let sequelize: Sequelize;
let grpcServer: RunningGrpcServer;
let restServer: http.Server;
let restUrl: string;
let client: grpc.Client & Record<string, any>;

function call<T = any>(method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))));
}

async function rest(method: string, url: string, body?: unknown) {
  const res = await fetch(`${restUrl}${url}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined, allow: res.headers.get('allow') };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-framework-'));
  writeFileSync(path.join(dir, 'library.proto'), PROTO);
  sequelize = await openDatabase(`sqlite:${dir}/library.sqlite3`);
  expect(await pendingMigrations(sequelize, migrations)).toEqual(['0001-books']);
  expect(await migrate(sequelize, migrations)).toEqual(['0001-books']);
  expect(await pendingMigrations(sequelize, migrations)).toEqual([]);
  Book.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      title: DataTypes.STRING(200),
      isbn: DataTypes.STRING(20),
      note: DataTypes.STRING(200),
    },
    { sequelize, tableName: 'books', underscored: true },
  );
  const books = new ModelResource<Book>({ name: 'book', model: Book, serializer, lookupSchema: z.uuid(), ordering: [['isbn', 'ASC']] });

  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(dir, 'library.proto'), LOADER_OPTIONS)) as any;
  const definition = pkg.library.BookService.service as grpc.ServiceDefinition;
  const service = defineService(definition, {
    ...modelActions(books),
    Explode: async () => {
      throw new Error('SELECT secret FROM passwords');
    },
  } as never);
  const logger = createLogger('test');
  process.env.LOG_LEVEL = 'silent';
  grpcServer = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [service], logger });
  client = new pkg.library.BookService(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure());

  const api = Router();
  api.use('/books', modelViewSet(books));
  restServer = http.createServer(createRestApp({ api, logger, bodyLimit: '10kb' }));
  await new Promise<void>((r) => restServer.listen(0, '127.0.0.1', () => r()));
  restUrl = `http://127.0.0.1:${(restServer.address() as { port: number }).port}/api`;
});

afterAll(async () => {
  client?.close();
  await grpcServer?.close(1000);
  await new Promise((r) => restServer?.close(r));
  await sequelize?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('generic gRPC actions', () => {
  it('create, retrieve, list, update, partial update and destroy', async () => {
    const created = await call('Create', { title: 'Dune', isbn: '0441013597', note: '' });
    expect(created).toMatchObject({ title: 'Dune', isbn: '0441013597', note: '' });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await call('Retrieve', { id: created.id })).toEqual(created);

    await call('Create', { title: 'Emma', isbn: '0141439580' });
    const page = await call('List', { limit: 1, offset: 1 });
    expect(page.items.map((b: any) => b.title)).toEqual(['Dune']);

    const updated = await call('Update', { id: created.id, title: 'Dune (1965)', isbn: '0441013597', note: 'classic' });
    expect(updated).toMatchObject({ title: 'Dune (1965)', note: 'classic' });
    const partial = await call('PartialUpdate', { id: created.id, title: 'Dune!' });
    expect(partial).toMatchObject({ title: 'Dune!', isbn: '0441013597', note: 'classic' });

    expect(await call('Destroy', { id: created.id })).toEqual({});
    await expect(call('Retrieve', { id: created.id })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: `book ${created.id} not found` });
  });

  it('maps errors through the one table, naming the field, hiding internals', async () => {
    await expect(call('Create', { title: 'x'.repeat(201), isbn: '1234567890' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'title: must be at most 200 characters',
    });
    await expect(call('Create', { isbn: '1234567890' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'title: is required' });
    await expect(call('Retrieve', { id: 'nope' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "id: 'nope' is not a valid UUID" });
    await call('Create', { title: 'Once', isbn: '9999999999' });
    await expect(call('Create', { title: 'Twice', isbn: '9999999999' })).rejects.toMatchObject({ code: grpc.status.ALREADY_EXISTS });
    const err = await call('Explode', { id: 'x' }).catch((e) => e);
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toBe('internal error');
  });
});

describe('REST model view set', () => {
  it('serves the same resource with DRF-like statuses', async () => {
    const created = await rest('POST', '/books', { title: 'Ulysses', isbn: '0679722769', id: 'ignored-read-only' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'Ulysses', isbn: '0679722769', note: null });
    expect(created.body.id).not.toBe('ignored-read-only');
    const id = created.body.id;
    expect((await call('Retrieve', { id })).title).toBe('Ulysses');
    expect((await rest('GET', '/books')).body.some((b: any) => b.id === id)).toBe(true);
    expect((await rest('PATCH', `/books/${id}`, { note: 'long' })).body).toMatchObject({ title: 'Ulysses', note: 'long' });
    expect((await rest('PUT', `/books/${id}`, { title: 'U', isbn: '0679722769' })).status).toBe(200);
    expect((await rest('DELETE', `/books/${id}`)).status).toBe(204);
    expect((await rest('GET', `/books/${id}`)).status).toBe(404);
  });

  it('answers bad input with the table status and no stack trace', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/books', { title: 'A' }, 400, 'isbn: is required'],
      ['POST', '/books', { title: 'A', isbn: '12' }, 400, 'isbn: must be 10 to 13 digits'],
      ['POST', '/books', { title: 'A', isbn: '1234567890', colour: 1 }, 400, 'colour: unknown field'],
      ['POST', '/books', '{oops', 400, 'body: malformed JSON'],
      ['POST', '/books', { title: 'A', isbn: '1234567890', note: 'n'.repeat(20_000) }, 413, 'too large'],
      ['GET', '/books/not-a-uuid', undefined, 400, 'is not a valid UUID'],
      ['GET', '/nowhere', undefined, 404, 'no route for GET'],
    ];
    for (const [method, url, body, status, message] of cases) {
      const res = await rest(method, url, body);
      expect(res.status, `${method} ${url} ${res.text}`).toBe(status);
      expect(res.body.message).toContain(message);
      expect(res.text).not.toMatch(/\bat .+:\d+:\d+/);
    }
    const dup = await rest('POST', '/books', { title: 'A', isbn: '5555555555' });
    expect(dup.status).toBe(201);
    expect((await rest('POST', '/books', { title: 'B', isbn: '5555555555' })).status).toBe(409);
    const wrong = await rest('PUT', '/books');
    expect(wrong.status).toBe(405);
    expect(wrong.allow).toBe('GET, POST');
  });
});

describe('building blocks', () => {
  it('AppError.from keeps AppErrors and hides unknown errors', () => {
    expect(AppError.from(AppError.notFound('x')).httpStatus).toBe(404);
    const hidden = AppError.from(new Error('secret'));
    expect(hidden.code).toBe('INTERNAL');
    expect(hidden.message).toBe('internal error');
  });

  it('defineService refuses missing and unknown handlers with a helpful message', () => {
    const def = { M: { path: '/x.S/M', requestStream: false, responseStream: false } } as unknown as grpc.ServiceDefinition;
    expect(() => defineService(def, {} as never)).toThrow("no handler for /x.S/M; add 'M'");
    expect(() => defineService(def, { M: async () => ({}), N: async () => ({}) } as never)).toThrow("'N' is not a method of this service");
  });

  it('a client of a peer that is down fails with UNAVAILABLE naming it', async () => {
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(dir, 'library.proto'), LOADER_OPTIONS)) as any;
    const down = createClient(pkg.library.BookService.service, '127.0.0.1:1', { name: 'library gRPC', deadlineMs: 2000 }) as any;
    await expect(down.Retrieve({ id: 'x' })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'library gRPC at 127.0.0.1:1 is unavailable' });
    down.close();
    const up = createClient(pkg.library.BookService.service, `127.0.0.1:${grpcServer.port}`, { name: 'library gRPC' }) as any;
    await expect(up.Retrieve({ id: '3b241101-e2bb-4255-8caf-4136c566a962' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    up.close();
  });
});
