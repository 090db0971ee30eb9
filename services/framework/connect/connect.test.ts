/**
 * The Connect edge's pieces on their own: the error table shared with gRPC, the descriptors
 * built from the stubs, the CORS setting, and the wire guard on request bodies. The
 * protocols end to end (real servers, Node clients, Chromium): test/e2e/connect.test.ts.
 */
import { fileURLToPath } from 'node:url';

import { fromJsonString, toBinary, toJsonString } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { encodeEnvelope } from '@connectrpc/connect/protocol';
import { status as GrpcStatus, type ServiceDefinition } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';

import { AppError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { corsOriginsFromEnv } from './cors.js';
import { connectServiceOf, fileDescriptorSetOf } from './descriptors.js';
import { LOADER_OPTIONS } from '../grpc/loader-options.js';
import { codeName, toConnectError } from './errors.js';
import { bodyFormatOf, guardBody, MAX_JSON_MESSAGE_BYTES } from './wire-guard.js';

describe('errors', () => {
  it("every code of the table means the same to Connect as to gRPC (Connect's codes are gRPC's)", () => {
    for (const [code, { grpc }] of Object.entries(ERROR_CODES) as [ErrorCode, { grpc: number }][]) {
      const connect = toConnectError(new AppError(code, 'x')).code;
      expect(connect, code).toBe(grpc);
      // The names agree too (Connect spells CANCELLED with one L).
      expect(Code[connect].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase().replace('CANCELED', 'CANCELLED'), code).toBe(GrpcStatus[grpc]);
    }
  });

  it('names codes as the gRPC server logs them', () => {
    expect(codeName(0)).toBe('OK');
    expect(codeName(Code.NotFound)).toBe('NOT_FOUND');
    expect(codeName(Code.Canceled)).toBe('CANCELLED');
  });

  it('keeps the message bounded and whole', () => {
    const error = toConnectError(AppError.invalid('id', 'x'.repeat(5000)));
    expect(error.rawMessage.length).toBeLessThanOrEqual(1001);
    expect(toConnectError(AppError.notFound('bad \ud800 input')).rawMessage).toBe('bad \ufffd input');
  });
});

describe('descriptors from proto-loader definitions', () => {
  // The framework's own test service, loaded the way services load theirs.
  const loaded = protoLoader.loadSync(fileURLToPath(new URL('../../../test/support/library.proto', import.meta.url)), LOADER_OPTIONS);
  const definition = (loaded['library.BookService'] as unknown as ServiceDefinition);
  const service = connectServiceOf(definition);

  it('describe every method of the service, imports resolved', () => {
    expect(service.typeName).toBe('library.BookService');
    expect(service.methods.map((m) => `${m.name}:${m.methodKind}`)).toEqual(Object.keys(definition).map((name) => `${name}:unary`));
    expect(service.methods.find((m) => m.name === 'Destroy')!.output.typeName).toBe('google.protobuf.Empty');
  });

  it('give fields their proto3 JSON names (protobufjs leaves them empty)', () => {
    const book = service.methods.find((m) => m.name === 'Create')!.input;
    const message = fromJsonString(book, '{"id":"a","title":"Dune","pages":"412","createdAt":"2026"}');
    expect(toJsonString(book, message)).toBe('{"id":"a","title":"Dune","pages":"412","createdAt":"2026"}');
    // The same bytes as the gRPC server's protobufjs type writes.
    const bytes = definition.Create!.requestSerialize({ id: 'a', title: 'Dune', pages: '412', createdAt: '2026' });
    expect(Buffer.from(toBinary(book, message))).toEqual(bytes);
  });

  it('encode as a FileDescriptorSet a browser bundle can load', () => {
    expect(fileDescriptorSetOf(definition).byteLength).toBeGreaterThan(100);
  });

  it('refuse a definition without descriptors, saying how to get them', () => {
    expect(() => connectServiceOf({ Get: { path: '/x.Y/Get' } } as never)).toThrow(/proto-loader/);
  });
});

describe('MGRPC_CORS_ORIGINS', () => {
  it('is none by default, a list, or any', () => {
    expect(corsOriginsFromEnv({})).toEqual(new Set());
    expect(corsOriginsFromEnv({ MGRPC_CORS_ORIGINS: 'http://localhost:5173, https://app.example.com' })).toEqual(new Set(['http://localhost:5173', 'https://app.example.com']));
    expect(corsOriginsFromEnv({ MGRPC_CORS_ORIGINS: '*' })).toBe('*');
  });

  it.each(['localhost:5173', 'http://localhost:5173/', 'https://app.example.com/path', 'ftp://x'])('refuses %s with the fix', (origin) => {
    expect(() => corsOriginsFromEnv({ MGRPC_CORS_ORIGINS: origin })).toThrow(/scheme:\/\/host\[:port\]/);
  });
});

describe('the wire guard', () => {
  async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
  async function* chunks(...parts: Uint8Array[]) {
    yield* parts;
  }
  const refuse = (bytes: Uint8Array) => (bytes[0] === 0xff ? AppError.invalid('request', 'garbage') : undefined);

  it('knows the body formats connect-es serves', () => {
    expect(bodyFormatOf('application/proto')).toEqual({ enveloped: false, binary: true });
    expect(bodyFormatOf('application/json; charset=utf-8')).toEqual({ enveloped: false, binary: false });
    expect(bodyFormatOf('application/grpc-web+proto')).toEqual({ enveloped: true, binary: true });
    expect(bodyFormatOf('text/plain')).toBeUndefined();
  });

  it('passes a good message unchanged and empties a refused one, telling why', async () => {
    const refusals: AppError[] = [];
    const options = { maxMessageBytes: 100, check: refuse, onRefusal: (e: AppError) => refusals.push(e) };
    const good = Buffer.from([0x0a, 0x01, 0x61]);
    expect(await collect(guardBody(chunks(good.subarray(0, 1), good.subarray(1)), { ...options, format: { enveloped: false, binary: true } }))).toEqual(good);
    expect(await collect(guardBody(chunks(Buffer.from([0xff, 0x01])), { ...options, format: { enveloped: false, binary: true } }))).toEqual(Buffer.alloc(0));
    const framed = await collect(guardBody(chunks(encodeEnvelope(0, good), encodeEnvelope(0, Buffer.from([0xff]))), { ...options, format: { enveloped: true, binary: true } }));
    expect(framed).toEqual(Buffer.concat([encodeEnvelope(0, good), encodeEnvelope(0, new Uint8Array(0))]));
    expect(refusals.map((e) => e.message)).toEqual(['request: garbage', 'request: garbage']);
  });

  it('leaves a message over the size limit to connect-es, and caps JSON', async () => {
    const refusals: AppError[] = [];
    const big = Buffer.alloc(200, 0xff);
    expect(await collect(guardBody(chunks(big), { maxMessageBytes: 100, check: refuse, onRefusal: (e) => refusals.push(e), format: { enveloped: false, binary: true } }))).toEqual(big);
    const json = Buffer.from(JSON.stringify({ id: 'x'.repeat(MAX_JSON_MESSAGE_BYTES) }));
    const out = await collect(guardBody(chunks(json), { maxMessageBytes: 4 << 20, check: refuse, onRefusal: (e) => refusals.push(e), format: { enveloped: false, binary: false } }));
    expect(out.toString()).toBe('{}');
    expect(refusals.map((e) => e.code)).toEqual(['RESOURCE_EXHAUSTED']);
  });
});

