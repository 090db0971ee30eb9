/**
 * The one error type and its table, and the translators that turn library errors (zod,
 * Sequelize on a real SQLite file, body parsing, gRPC statuses) into it.
 */
import { randomUUID } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { codeForGrpcStatus } from './errors.js';
import { AppError, ERROR_CODES, registerErrorTranslator, type ErrorCode } from './index.js';
import { defineBook, type BookModel } from '../../test/support/book.js';
import { openLibraryDatabase } from '../../test/support/library.js';
import { DIALECTS } from '../../test/support/databases.js';
import { sqlRunner, sqlTimestamp } from './db/sql.js';

describe('the code table', () => {
  it.each([
    ['INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, 400],
    ['UNSUPPORTED_MEDIA_TYPE', grpc.status.INVALID_ARGUMENT, 415],
    ['NOT_FOUND', grpc.status.NOT_FOUND, 404],
    ['ALREADY_EXISTS', grpc.status.ALREADY_EXISTS, 409],
    ['PAYLOAD_TOO_LARGE', grpc.status.RESOURCE_EXHAUSTED, 413],
    ['INTERNAL', grpc.status.INTERNAL, 500],
    ['UNAVAILABLE', grpc.status.UNAVAILABLE, 503],
    ['DEADLINE_EXCEEDED', grpc.status.DEADLINE_EXCEEDED, 504],
  ] as [ErrorCode, number, number][])('%s is gRPC %i and HTTP %i', (code, grpcStatus, http) => {
    const err = new AppError(code, 'x');
    expect(err.grpcStatus).toBe(grpcStatus);
    expect(err.httpStatus).toBe(http);
  });

  it('maps every gRPC status back to a code whose gRPC status it is', () => {
    for (const { grpc: status } of Object.values(ERROR_CODES)) expect(ERROR_CODES[codeForGrpcStatus(status)].grpc).toBe(status);
    expect(codeForGrpcStatus(grpc.status.RESOURCE_EXHAUSTED)).toBe('RESOURCE_EXHAUSTED');
    expect(codeForGrpcStatus(grpc.status.UNKNOWN)).toBe('INTERNAL');
    expect(codeForGrpcStatus(999)).toBe('INTERNAL');
  });

  it('serialises to {code, message[, field]}', () => {
    expect(JSON.stringify(AppError.invalid('title', 'is required'))).toBe('{"code":"INVALID_ARGUMENT","message":"title: is required","field":"title"}');
    expect(JSON.stringify(AppError.notFound('book 1 not found'))).toBe('{"code":"NOT_FOUND","message":"book 1 not found"}');
  });
});

describe('AppError.from', () => {
  it('returns an AppError as it is', () => {
    const err = AppError.invalid('title', 'is required');
    expect(AppError.from(err)).toBe(err);
  });

  it.each([
    ['an Error', new Error('SELECT password FROM users')],
    ['a string', 'SELECT password FROM users'],
    ['null', null],
    ['an object', { message: 'SELECT password FROM users' }],
  ])('hides %s behind INTERNAL "internal error", keeping it as the cause', (_case, thrown) => {
    const err = AppError.from(thrown);
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('internal error');
    expect(JSON.stringify(err)).toBe('{"code":"INTERNAL","message":"internal error"}');
    expect(err.cause).toBe(thrown);
    expect(AppError.isInternal(err)).toBe(true);
  });

  it('translates a ZodError into its first issue, with a snake_case path', () => {
    const result = z.object({ pageCount: z.number('must be a number') }).safeParse({ pageCount: 'x' });
    const err = AppError.from(result.error);
    expect(err.toJSON()).toEqual({ code: 'INVALID_ARGUMENT', message: 'page_count: must be a number', field: 'page_count' });
  });

  it('translates body-parser errors', () => {
    expect(AppError.from({ type: 'entity.parse.failed' }).toJSON()).toEqual({ code: 'INVALID_ARGUMENT', message: 'body: malformed JSON', field: 'body' });
    expect(AppError.from({ type: 'entity.too.large' }).httpStatus).toBe(413);
    expect(AppError.from({ type: 'encoding.unsupported' }).httpStatus).toBe(415);
    expect(AppError.from({ type: 'entity.parse.failed', body: '5' }).toJSON()).toEqual({ code: 'INVALID_ARGUMENT', message: 'body: must be a JSON object', field: 'body' });
  });

  it('keeps a gRPC status from upstream, but not an upstream INTERNAL', () => {
    const status = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
    expect(AppError.from(status(grpc.status.NOT_FOUND, 'book 1 not found')).toJSON()).toEqual({ code: 'NOT_FOUND', message: 'book 1 not found' });
    expect(AppError.from(status(grpc.status.INTERNAL, 'stack trace here')).message).toBe('internal error');
  });

  it('learns new families through registerErrorTranslator', () => {
    class QuotaError extends Error {}
    expect(AppError.from(new QuotaError('x')).code).toBe('INTERNAL');
    registerErrorTranslator((err) => (err instanceof QuotaError ? new AppError('RESOURCE_EXHAUSTED', 'quota exceeded') : undefined));
    expect(AppError.from(new QuotaError('x')).toJSON()).toEqual({ code: 'RESOURCE_EXHAUSTED', message: 'quota exceeded' });
  });
});

describe.each(DIALECTS)('Sequelize errors from a real database (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
  let Book: BookModel;

  beforeAll(async () => {
    db = await openLibraryDatabase(dialect);
    Book = defineBook(db.sequelize);
  });

  afterAll(async () => {
    await db?.cleanup();
  });

  async function thrown(promise: Promise<unknown>): Promise<AppError> {
    return AppError.from(await promise.then(() => expect.unreachable('expected a failure'), (e: unknown) => e));
  }

  it('a unique clash is ALREADY_EXISTS naming the column', async () => {
    await Book.create({ title: 'Once', isbn: '9999999999' });
    const err = await thrown(Book.create({ title: 'Twice', isbn: '9999999999' }));
    expect(err.toJSON()).toEqual({ code: 'ALREADY_EXISTS', message: 'a record with this isbn already exists' });
  });

  it('a model validation failure is INVALID_ARGUMENT naming the field', async () => {
    expect((await thrown(Book.create({ title: '' }))).toJSON()).toEqual({ code: 'INVALID_ARGUMENT', message: 'title: must be 1 to 200 characters', field: 'title' });
    expect((await thrown(Book.create({ title: 'A', pages: -3 }))).message).toBe('pages: must be at least 0');
  });

  it('a unique clash from a prepared statement (db/sql.ts) is ALREADY_EXISTS too', async () => {
    await Book.create({ title: 'Raw', isbn: '8888888888' });
    const insert = 'INSERT INTO books (id, title, isbn, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id';
    const now = sqlTimestamp(db.sequelize, new Date());
    const err = await thrown(sqlRunner(db.sequelize).all(insert, [randomUUID(), 'Again', '8888888888', now, now]));
    expect(err.toJSON()).toEqual({ code: 'ALREADY_EXISTS', message: 'a record with this key already exists' });
  });

  it('rejectOnEmpty is NOT_FOUND', async () => {
    expect((await thrown(Book.findOne({ where: { title: 'nothing' }, rejectOnEmpty: true }))).code).toBe('NOT_FOUND');
  });

  it('a broken query stays INTERNAL', async () => {
    const err = await thrown(db.sequelize.query('SELECT secret FROM no_such_table'));
    expect(err.message).toBe('internal error');
  });
});
