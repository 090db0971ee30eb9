/**
 * The library service assembled from real framework parts, for the framework's tests: the
 * proto loaded the way services load theirs, the generic actions plus a custom RPC that
 * fails unexpectedly, a service module for the runtime, and `startLibrary()`, which runs
 * the gRPC server and the REST app on loopback ports over a SQLite file in a temp dir.
 * Meant for tests run from source (the .proto is read next to this file).
 *
 * @example
 *   const lib = await startLibrary();
 *   const book = await lib.call('Create', { title: 'Dune' });
 *   const res = await lib.rest('GET', `/api/books/${book.id}`);
 *   await lib.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Sequelize } from 'sequelize';

import { LOADER_OPTIONS } from '../../services/framework/grpc/loader-options.js';
import {
  createRestApp,
  defineService,
  defineServiceModule,
  migrate,
  modelActions,
  modelViewSet,
  openDatabase,
  Router,
  startGrpcServer,
  type GrpcService,
  type Logger,
  type ModelResource,
  type RunningGrpcServer,
} from '../../services/framework/index.js';
import { bookMigrations, bookResource, defineBook, type Book } from './book.js';
import { testDatabaseUrl, type TestDialect } from './databases.js';

export const LIBRARY_PROTO = fileURLToPath(new URL('./library.proto', import.meta.url));

/** What the failing handlers "leak" in their error; it must never reach a client. */
export const FAKE_SECRET = 'hunter2-s3cr3t';

interface LibraryPackage {
  library: { BookService: grpc.ServiceClientConstructor };
}

/** The BookService client constructor (its `.service` is the definition). */
export function loadBookService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(LIBRARY_PROTO, LOADER_OPTIONS);
  return (grpc.loadPackageDefinition(definition) as unknown as LibraryPackage).library.BookService;
}

/** A BookService that serves Retrieve with `retrieve` and answers every other method `{}`: for tests of the transport around one call. */
export function retrieveOnlyBookService(retrieve: (request: { id?: string }) => Promise<{ id?: string; title?: string }>): GrpcService {
  const unused = async () => ({});
  return defineService(loadBookService().service, { List: unused, Create: unused, Update: unused, PartialUpdate: unused, Destroy: unused, Explode: unused, Retrieve: retrieve } as never);
}

function explode(): never {
  throw new Error(`could not connect to postgres://library:${FAKE_SECRET}@db.internal:5432/library`);
}

export function bookService(books: ModelResource<Book>): GrpcService {
  return defineService(loadBookService().service, { ...modelActions(books), Explode: async () => explode() });
}

/** The REST side: the view set under /books, and a route that fails unexpectedly. */
export function libraryRoutes(books: ModelResource<Book>): Router {
  const api = Router();
  api.use('/books', modelViewSet(books));
  api.get('/explode', () => explode());
  return api;
}

export interface LibraryContext {
  sequelize: Sequelize;
  books: ModelResource<Book>;
}

export const libraryModule = defineServiceModule<LibraryContext>({
  name: 'library',
  ports: { rest: 90, grpc: 91 },
  migrations: bookMigrations,
  setup: ({ sequelize }) => ({ sequelize, books: bookResource(defineBook(sequelize)) }),
  grpcServices: (ctx) => [bookService(ctx.books)],
  restRoutes: (ctx) => libraryRoutes(ctx.books),
});

/** A logger that keeps its lines, so tests can see what a server logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (scope: string): Logger => {
    const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
      lines.push(`${level} [${scope}] ${message} ${JSON.stringify(fields ?? {})}`);
    };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), enabled: () => true, child: (sub) => make(`${scope}.${sub}`) };
  };
  return Object.assign(make('library'), { lines });
}

/** A temp dir and a migrated database: a SQLite file in the dir, or a fresh PostgreSQL database (dropped by cleanup). */
export async function openLibraryDatabase(dialect: TestDialect = 'sqlite'): Promise<{ dir: string; url: string; sequelize: Sequelize; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-library-'));
  const { url, drop } = await testDatabaseUrl(dialect, dir, 'library.sqlite3');
  const sequelize = await openDatabase(url);
  await migrate(sequelize, bookMigrations);
  return {
    dir,
    url,
    sequelize,
    async cleanup() {
      await sequelize.close();
      rmSync(dir, { recursive: true, force: true });
      await drop();
    },
  };
}

export interface RestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, if any. */
  body: any;
}

export interface GrpcCallOptions {
  metadata?: grpc.Metadata;
  deadlineMs?: number;
}

export interface Library {
  sequelize: Sequelize;
  books: ModelResource<Book>;
  logger: Logger & { lines: string[] };
  /** host:port of the gRPC server. */
  grpcTarget: string;
  /** http://host:port of the REST app. */
  restUrl: string;
  /** A raw grpc-js call (no mgrpc client in between): resolves the response or rejects the ServiceError. */
  call<T = any>(method: string, request: object, options?: GrpcCallOptions): Promise<T>;
  /** An HTTP request to the REST app; a string body is sent as is, anything else as JSON. */
  rest(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<RestResponse>;
  close(): Promise<void>;
}

export async function startLibrary(options: { bodyLimit?: string; dialect?: TestDialect } = {}): Promise<Library> {
  const db = await openLibraryDatabase(options.dialect);
  const books = bookResource(defineBook(db.sequelize));
  const logger = recordingLogger();
  let grpcServer: RunningGrpcServer | undefined;
  let restServer: http.Server | undefined;
  let client: (grpc.Client & Record<string, any>) | undefined;
  const close = async () => {
    client?.close();
    await grpcServer?.close(1000);
    if (restServer) {
      const server = restServer;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await db.cleanup();
  };
  try {
    grpcServer = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [bookService(books)], logger });
    const grpcTarget = `127.0.0.1:${grpcServer.port}`;
    const BookService = loadBookService();
    client = new BookService(grpcTarget, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
    const rawClient = client;

    const app = createRestApp({ api: libraryRoutes(books), logger, bodyLimit: options.bodyLimit });
    const server = http.createServer(app);
    restServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const restUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    return {
      sequelize: db.sequelize,
      books,
      logger,
      grpcTarget,
      restUrl,
      call: (method, request, callOptions = {}) =>
        new Promise((resolve, reject) => {
          const deadline = Date.now() + (callOptions.deadlineMs ?? 5000);
          rawClient[method](request, callOptions.metadata ?? new grpc.Metadata(), { deadline }, (err: grpc.ServiceError | null, res: any) =>
            err ? reject(err) : resolve(res),
          );
        }),
      async rest(method, urlPath, body, headers = {}) {
        const res = await fetch(`${restUrl}${urlPath}`, {
          method,
          headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
        const text = await res.text();
        const json = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
        return { status: res.status, headers: res.headers, text, body: json ? JSON.parse(text) : undefined };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
