/**
 * The proto3 JSON checks of `mgrpc call` on a message with every kind of field: what goes in
 * is checked strictly and named by path, what comes out follows the mapping (camelCase,
 * int64 as strings, enums by name, bytes as base64, defaults included).
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

import { UsageError } from '../handle-error.js';
import { decodeToJson, encodeJson, messageFromJson } from './json-message.js';

const root = protobuf.parse(`
syntax = "proto3";
package t;
enum Colour { COLOUR_UNSPECIFIED = 0; RED = 1; }
message Inner { string product_id = 1; }
message All {
  string name = 1; bool on = 2; int32 small = 3; uint32 count = 4; int64 big = 5; uint64 ubig = 6;
  double ratio = 7; bytes blob = 8; Colour colour = 9; Inner inner = 10; repeated Inner items = 11;
  map<string, int64> totals = 12; repeated string tags = 13;
}
message Event {
  int64 seq = 1;
  oneof event { Inner created = 2; Inner updated = 3; string deleted = 4; }
}`, { keepCase: true }).root;
root.resolveAll();
const All = root.lookupType('t.All');
const Event = root.lookupType('t.Event');

const usage = (value: unknown) => {
  try {
    messageFromJson(All, value);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('JSON in', () => {
  it('round-trips every kind of field, accepting proto and JSON names', () => {
    const bytes = encodeJson(All, {
      name: 'n', on: true, small: -5, count: '7', big: '9007199254740993', ubig: 18446744073709551615n.toString(),
      ratio: 'Infinity', blob: Buffer.from('hi').toString('base64'), colour: 'RED',
      inner: { productId: 'p1' }, items: [{ product_id: 'p2' }], totals: { a: '3' }, tags: ['x'],
    });
    expect(decodeToJson(All, bytes)).toEqual({
      name: 'n', on: true, small: -5, count: 7, big: '9007199254740993', ubig: '18446744073709551615',
      ratio: 'Infinity', blob: 'aGk=', colour: 'RED', inner: { productId: 'p1' }, items: [{ productId: 'p2' }], totals: { a: '3' }, tags: ['x'],
    });
  });

  it('prints only the member of a oneof that is set, as the proto3 JSON mapping does', () => {
    expect(decodeToJson(Event, encodeJson(Event, { seq: '7', updated: { productId: 'p1' } }))).toEqual({ seq: '7', updated: { productId: 'p1' } });
    expect(decodeToJson(Event, encodeJson(Event, { seq: '8', deleted: '' }))).toEqual({ seq: '8', deleted: '' });
    expect(decodeToJson(Event, encodeJson(Event, {}))).toEqual({ seq: '0' });
  });

  it('prints defaults for an empty message', () => {
    expect(decodeToJson(All, encodeJson(All, {}))).toEqual({
      name: '', on: false, small: 0, count: 0, big: '0', ubig: '0', ratio: 0, blob: '', colour: 'COLOUR_UNSPECIFIED',
      inner: null, items: [], totals: {}, tags: [],
    });
  });

  it.each([
    [{ colour: 'BLUE' }, /^colour: expected one of COLOUR_UNSPECIFIED, RED \(enum Colour\), got string "BLUE"$/],
    [{ small: 1.5 }, /^small: expected an integer from -2147483648 to 2147483647 \(int32\)/],
    [{ count: -1 }, /^count: expected an integer from 0 to 4294967295 \(uint32\)/],
    [{ big: '9223372036854775808' }, /^big: expected an integer \(int64/],
    [{ big: 2 ** 60 }, /^big: expected an integer \(int64; a decimal string for large values/],
    [{ ubig: '-1' }, /^ubig: expected an integer \(uint64/],
    [{ on: 'true' }, /^on: expected true or false, got string "true"$/],
    [{ blob: 'not base64!' }, /^blob: expected base64 text/],
    [{ inner: { nope: 1 } }, /^inner\.nope: unknown field of t\.Inner \(fields: productId\)$/],
    [{ items: {} }, /^items: expected a JSON array/],
    [{ items: [{ productId: 5 }] }, /^items\[0\]\.productId: expected a string, got number 5$/],
    [{ totals: { a: 'x' } }, /^totals\[a\]: expected an integer/],
    [{ product_id: 'x' }, /^product_id: unknown field of t\.All/],
    [{ tags: ['a'], tags_: 1 }, /^tags_: unknown field/],
    ['text', /^request: expected a JSON object \(message t\.All\), got string "text"$/],
  ])('%j is refused with the field named', (value, message) => {
    expect(usage(value)).toMatch(message);
  });

  it('refuses a field given under both names', () => {
    const Inner = root.lookupType('t.Inner');
    expect(() => messageFromJson(Inner, { productId: 'a', product_id: 'b' })).toThrow(/product_id: field productId is given twice/);
  });

  it('null means the default', () => {
    expect(messageFromJson(All, { name: null, inner: null })).toEqual({});
  });
});
