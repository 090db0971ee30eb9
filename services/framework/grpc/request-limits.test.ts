import { fileURLToPath } from 'node:url';

import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';

import { LOADER_OPTIONS } from './loader-options.js';
import { checkRequest, DEFAULT_REQUEST_LIMITS, requestShape } from './request-limits.js';

const definition = protoLoader.loadSync(fileURLToPath(new URL('../../../test/support/limits.proto', import.meta.url)), LOADER_OPTIONS);
const send = (definition['limits.Batch'] as protoLoader.ServiceDefinition).Send;

/** `count` Item entries of BatchRequest.items, each with an id of `idLength` characters. */
function likes(count: number, idLength = 0): Buffer {
  const entry = idLength > 0 ? Buffer.from([0x0a, idLength + 2, 0x0a, idLength, ...Buffer.alloc(idLength, 0x61)]) : Buffer.from([0x0a, 0x00]);
  return Buffer.concat(Array.from({ length: count }, () => entry));
}

describe('checkRequest', () => {
  const shape = requestShape(send, { items: 1000 })!;

  it('reads the request shape from the descriptors the stubs carry', () => {
    expect(shape.root).toBe('.limits.BatchRequest');
    expect([...shape.messages.keys()].sort()).toEqual(['.limits.BatchRequest', '.limits.Item']);
  });

  it('passes a message within the caps and refuses the first entry over one, counting them all', () => {
    expect(checkRequest(likes(1000, 36), shape, DEFAULT_REQUEST_LIMITS)).toBeUndefined();
    const refusal = checkRequest(likes(2_096_640), shape, DEFAULT_REQUEST_LIMITS);
    expect(refusal?.toJSON()).toEqual({ code: 'INVALID_ARGUMENT', message: 'items: at most 1000 per call, got 2096640', field: 'items' });
  });

  it('applies the server-wide limits to every repeated field, to all fields, and to nesting', () => {
    const open = requestShape(send)!;
    expect(checkRequest(likes(11), open, { ...DEFAULT_REQUEST_LIMITS, maxRepeated: 10 })?.message).toBe('items: at most 10 per call, got 11');
    // Each entry is a field of the request and a field (its id) inside it: 2 elements.
    expect(checkRequest(likes(10, 1), open, { ...DEFAULT_REQUEST_LIMITS, maxElements: 19 })?.code).toBe('RESOURCE_EXHAUSTED');
    expect(checkRequest(likes(10, 1), open, { ...DEFAULT_REQUEST_LIMITS, maxElements: 20 })).toBeUndefined();
    expect(checkRequest(likes(1, 1), open, { ...DEFAULT_REQUEST_LIMITS, maxDepth: 1 })?.message).toBe('request: messages nested more than 1 deep');
  });

  it('leaves bytes that are not a message to the decoder, and counts unknown fields toward the whole-message budget only', () => {
    expect(checkRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f]), shape, DEFAULT_REQUEST_LIMITS)).toBeUndefined();
    expect(checkRequest(Buffer.alloc(5000, 0x78 /* field 15, varint */).fill(0, 1, 2), shape, DEFAULT_REQUEST_LIMITS)).toBeUndefined();
  });

  it('refuses a cap on a field the request does not repeat, at start-up', () => {
    expect(() => requestShape(send, { item: 10 })).toThrow("request limit for 'item' on /limits.Batch/Send: the request has no repeated field of that name");
    expect(() => requestShape(send, { first: 10 })).toThrow("request limit for 'first' on /limits.Batch/Send: the request has no repeated field of that name");
  });
});
