/**
 * The service-token interceptor on a real grpc-js server (the Book fixture on a loopback
 * port, SQLite in a temp dir): no token, a wrong one and a malformed one get UNAUTHENTICATED
 * and the handler never runs; the right one passes; health checks need no token; our
 * client sends the token it is given.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError, createClient, serviceTokenFromEnv, startGrpcServer, type RunningGrpcServer } from '../index.js';
import { bookResource, defineBook, type Book } from '../../../test/support/book.js';
import { bookService, loadBookService, openLibraryDatabase, recordingLogger } from '../../../test/support/library.js';
import type { ModelResource } from '../model/resource.js';

const TOKEN = 'svc-token-0123456789abcdef';
const BookService = loadBookService();

let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
let books: ModelResource<Book>;
let server: RunningGrpcServer;
let target: string;
let raw: grpc.Client & Record<string, any>;
const logger = recordingLogger();

beforeAll(async () => {
  db = await openLibraryDatabase();
  books = bookResource(defineBook(db.sequelize));
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [bookService(books)], logger, serviceToken: TOKEN });
  target = `127.0.0.1:${server.port}`;
  raw = new BookService(target, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
});

afterAll(async () => {
  raw?.close();
  await server?.close(1000);
  await db?.cleanup();
});

function metadataWith(authorization?: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return metadata;
}

function call(method: string, request: object, metadata: grpc.Metadata): Promise<any> {
  return new Promise((resolve, reject) => {
    raw[method](request, metadata, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)));
  });
}

async function bookCount(): Promise<number> {
  return (await books.model.count()) as number;
}

describe('service token interceptor', () => {
  const refused: [string, string | undefined][] = [
    ['no authorization', undefined],
    ['a wrong token', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 8)}`],
    ['the token without Bearer', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
  ];
  for (const [what, authorization] of refused) {
    it(`refuses ${what} with UNAUTHENTICATED before the handler runs`, async () => {
      const before = await bookCount();
      const err = await call('Create', { title: 'Dune' }, metadataWith(authorization)).catch((e: grpc.ServiceError) => e);
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(err.details).toBe('missing or invalid service token');
      expect(await bookCount()).toBe(before);
    });
  }

  it('refuses the token with anything after it', async () => {
    const err = await call('Create', { title: 'Dune' }, metadataWith(`Bearer ${TOKEN}, Bearer nope`)).catch((e: grpc.ServiceError) => e);
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('lets the right token through (scheme case-insensitive), and the handler runs', async () => {
    const before = await bookCount();
    const created = await call('Create', { title: 'Dune' }, metadataWith(`Bearer ${TOKEN}`));
    expect(created).toMatchObject({ title: 'Dune' });
    const again = await call('Retrieve', { id: created.id }, metadataWith(`bearer ${TOKEN}`));
    expect(again.id).toBe(created.id);
    expect(await bookCount()).toBe(before + 1);
  });

  it('never echoes or logs the token', async () => {
    await call('List', {}, metadataWith(`Bearer wrong-${TOKEN}`)).catch(() => undefined);
    expect(logger.lines.join('\n')).not.toContain(TOKEN);
  });

  it('exempts grpc.health.v1.Health', async () => {
    const Health = grpc.makeClientConstructor(healthService as grpc.ServiceDefinition, 'Health');
    const health = new Health(target, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
    try {
      const res = await new Promise<any>((resolve, reject) =>
        health.Check({ service: '' }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r))),
      );
      expect(res.status).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('createClient sends the configured token; without it the call fails naming the cause', async () => {
    const good = createClient(BookService.service, target, { name: 'library gRPC', serviceToken: TOKEN });
    const none = createClient(BookService.service, target, { name: 'library gRPC' });
    try {
      const created = await good.Create({ title: 'Emma' });
      expect(created.title).toBe('Emma');
      const err = await none.Create({ title: 'Persuasion' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).message).toContain('refused this service');
      expect((err as AppError).message).not.toContain(TOKEN);
    } finally {
      good.close();
      none.close();
    }
  });

  it('does not change metadata the caller passed in', async () => {
    const client = createClient(BookService.service, target, { name: 'library gRPC', serviceToken: TOKEN });
    const mine = new grpc.Metadata();
    mine.set('x-request-id', 'r1');
    try {
      await client.List({}, { metadata: mine });
      expect(mine.get('authorization')).toEqual([]);
    } finally {
      client.close();
    }
  });
});

describe('serviceTokenFromEnv', () => {
  it('is off when unset or empty', () => {
    expect(serviceTokenFromEnv({})).toBeUndefined();
    expect(serviceTokenFromEnv({ MGRPC_SERVICE_TOKEN: '' })).toBeUndefined();
    expect(serviceTokenFromEnv({ MGRPC_SERVICE_TOKEN: TOKEN })).toBe(TOKEN);
  });

  it('refuses a token a header cannot carry, without printing it', () => {
    expect(() => serviceTokenFromEnv({ MGRPC_SERVICE_TOKEN: 'has space' })).toThrow(/MGRPC_SERVICE_TOKEN must be printable ASCII/);
    expect(() => serviceTokenFromEnv({ MGRPC_SERVICE_TOKEN: 'has space' })).not.toThrow(/has space/);
  });
});
