/**
 * JSON <-> protobuf messages for `mgrpc call`, following the proto3 JSON mapping:
 * lowerCamelCase names out (the proto names are accepted in), 64-bit integers as decimal
 * strings, enums by name, bytes as base64, and every field printed, defaults included (of a
 * oneof, the member that is set).
 *
 * Input is checked strictly where protobufjs alone would guess: an unknown field, a string
 * for a bool or a fraction for an integer is a UsageError naming the field path and what
 * it expects, rather than a silently dropped or zeroed value. (Well-known types with a
 * special JSON form, such as Timestamp, are not special-cased: none of our protos uses them.)
 */
import protobuf from 'protobufjs';

import { UsageError } from '../handle-error.js';

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The proto3 JSON name of a field: its json_name option, else lowerCamelCase. */
export function jsonName(field: protobuf.Field): string {
  const option = (field.options as { json_name?: unknown } | undefined)?.json_name;
  return typeof option === 'string' ? option : camel(field.name);
}

const INT32_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const describeValue = (value: unknown) => (Array.isArray(value) ? 'an array' : value === null ? 'null' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`);

function bad(path: string, expected: string, value: unknown): UsageError {
  return new UsageError(`${path}: expected ${expected}, got ${describeValue(value)}`);
}

function scalarFromJson(type: string, value: unknown, path: string): unknown {
  if (type === 'string') {
    if (typeof value !== 'string') throw bad(path, 'a string', value);
    return value;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw bad(path, 'true or false', value);
    return value;
  }
  if (type in INT32_RANGE) {
    const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    const [min, max] = INT32_RANGE[type];
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      throw bad(path, `an integer from ${min} to ${max} (${type})`, value);
    }
    return number;
  }
  if (INT64.has(type)) {
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
    const unsigned = type.startsWith('u') || type === 'fixed64';
    const [min, max] = unsigned ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
    if (text === undefined || !/^-?\d+$/.test(text) || BigInt(text) < min || BigInt(text) > max) {
      throw bad(path, `an integer (${type}; a decimal string for large values, e.g. "9007199254740993")`, value);
    }
    return text;
  }
  if (type === 'double' || type === 'float') {
    if (typeof value === 'number') return value;
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    throw bad(path, `a number (${type})`, value);
  }
  if (type === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw bad(path, 'base64 text (bytes)', value);
    return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  }
  throw new UsageError(`${path}: fields of type ${type} are not supported in JSON input`);
}

function valueFromJson(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, value, path);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolved.values) return value;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    throw bad(path, `one of ${Object.keys(resolved.values).join(', ')} (enum ${resolved.name})`, value);
  }
  return scalarFromJson(field.type, value, path);
}

function fieldsOf(type: protobuf.Type): Map<string, protobuf.Field> {
  const byName = new Map<string, protobuf.Field>();
  for (const field of type.fieldsArray) {
    for (const name of [field.name, jsonName(field), camel(field.name), snake(field.name)]) byName.set(name, field);
  }
  return byName;
}

/**
 * Checks proto3 JSON against `type` and returns the object protobufjs's `fromObject`
 * expects; throws a UsageError naming the first offending field (`product.likes: …`).
 */
export function messageFromJson(type: protobuf.Type, value: unknown, path = ''): Record<string, unknown> {
  const where = path || 'request';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(where, `a JSON object (message ${type.fullName.replace(/^\./, '')})`, value);
  }
  const byName = fieldsOf(type);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const field = byName.get(key);
    const fieldPath = path ? `${path}.${key}` : key;
    if (!field) {
      const expected = type.fieldsArray.map(jsonName);
      throw new UsageError(`${fieldPath}: unknown field of ${type.fullName.replace(/^\./, '')} (${expected.length ? `fields: ${expected.join(', ')}` : 'it has no fields'})`);
    }
    if (field.name in out) throw new UsageError(`${fieldPath}: field ${jsonName(field)} is given twice`);
    if (item === null) continue;
    if (field instanceof protobuf.MapField) {
      if (typeof item !== 'object' || Array.isArray(item)) throw bad(fieldPath, 'a JSON object (map)', item);
      const map: Record<string, unknown> = {};
      for (const [mapKey, mapValue] of Object.entries(item as object)) {
        if (field.keyType !== 'string') scalarFromJson(field.keyType === 'bool' ? 'string' : field.keyType, mapKey, `${fieldPath}[${mapKey}]`);
        map[mapKey] = valueFromJson(field, mapValue, `${fieldPath}[${mapKey}]`);
      }
      out[field.name] = map;
    } else if (field.repeated) {
      if (!Array.isArray(item)) throw bad(fieldPath, 'a JSON array (repeated field)', item);
      out[field.name] = item.map((element, index) => valueFromJson(field, element, `${fieldPath}[${index}]`));
    } else {
      out[field.name] = valueFromJson(field, item, fieldPath);
    }
  }
  return out;
}

/** Encodes checked JSON as the bytes of a `type` message. */
export function encodeJson(type: protobuf.Type, value: unknown): Buffer {
  return Buffer.from(type.encode(type.fromObject(messageFromJson(type, value))).finish());
}

function renamed(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    let value = object[field.name];
    // A oneof's members that are not set are left out (only the set one is printed), as in
    // the proto3 JSON mapping; printing them all as null buried the one that was.
    if (field.partOf && value === undefined) continue;
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (nested && value !== null && value !== undefined) {
      const convert = (item: unknown) => renamed(nested, item as Record<string, unknown>);
      if (field instanceof protobuf.MapField) value = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, convert(v)]));
      else if (field.repeated) value = (value as unknown[]).map(convert);
      else value = convert(value);
    }
    out[jsonName(field)] = value ?? null;
  }
  return out;
}

/** Decodes a `type` message to proto3 JSON (an object; JSON.stringify it to print). */
export function decodeToJson(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  const message = type.decode(bytes);
  const object = type.toObject(message, { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true, json: true });
  return renamed(type, object);
}
