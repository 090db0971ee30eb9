/**
 * Bounds on what one request message may make a server allocate, checked on the wire bytes
 * before they are decoded. A 4 MiB message of `0a 00` repeated is two million empty entries
 * of a repeated field: protobufjs would build two million objects (and proto-loader a second
 * copy of each) before any handler could count them, and run a 96 MB heap out of memory.
 * Walking the bytes allocates nothing, so the limits are checked first:
 *
 * - `maxRepeated`: entries of any one repeated field (a method may lower it for a field it
 *   caps anyway, e.g. LikeProducts' 1,000 likes), answered INVALID_ARGUMENT naming the field;
 * - `maxElements`: fields and entries in the whole message, nested ones included;
 * - `maxDepth`: nesting of messages inside messages.
 *
 * The message's shape comes from the file descriptors proto-loader attaches to every method
 * (the same ones reflection serves), so the check works for any service built from generated
 * stubs. A method without descriptors is decoded unchecked, within the message size limit.
 *
 * @example
 *   const shape = requestShape(definition.LikeProducts);
 *   const refusal = shape && checkRequest(bytes, shape, DEFAULT_REQUEST_LIMITS);
 */
import descriptorExt from 'protobufjs/ext/descriptor/index.js';

import { AppError } from '../errors.js';
import { linkFileDescriptors } from './linked-descriptors.js';

export interface RequestLimits {
  /** Entries of any one repeated field. */
  maxRepeated: number;
  /** Fields and repeated entries in the whole message, at every depth. */
  maxElements: number;
  /** Messages nested inside messages. */
  maxDepth: number;
}

/**
 * 10,000 entries of the largest message our protos repeat decode to about 2 MB of heap; the
 * whole-message budget keeps a request with many such fields at the same order.
 */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxRepeated: 10_000, maxElements: 50_000, maxDepth: 32 };

interface FieldShape {
  name: string;
  repeated: boolean;
  /** Fully-qualified message type of a message field. */
  message?: string;
  /** Bytes per entry of a packed fixed-width scalar; 0 for packed varints. */
  packedWidth?: number;
}

type MessageShape = Map<number, FieldShape>;

export interface RequestShape {
  root: string;
  messages: ReadonlyMap<string, MessageShape>;
  /** Per field path ("likes"), a lower entry cap than maxRepeated. */
  repeatedCaps?: ReadonlyMap<string, number>;
}

interface FieldProto { name: string; number: number; label?: number; type?: number; typeName?: string }
interface MessageProto { name: string; field?: FieldProto[]; nestedType?: MessageProto[] }
interface FileProto { package?: string; messageType?: MessageProto[]; service?: { name: string; method?: { name: string; inputType?: string }[] }[] }

const codec = (descriptorExt as unknown as { FileDescriptorProto: { decode(bytes: Uint8Array): FileProto } }).FileDescriptorProto;

// FieldDescriptorProto's enums (descriptor.proto).
const LABEL_REPEATED = 3;
const TYPE_MESSAGE = 11;
const TYPE_GROUP = 10;
const FIXED_WIDTH: Record<number, number> = { 1: 8, 2: 4, 6: 8, 7: 4, 15: 4, 16: 8 };
const VARINT_TYPES = new Set([3, 4, 5, 8, 13, 14, 17, 18]);

const shapesByFiles = new WeakMap<object, Map<string, MessageShape>>();

function messageShapes(encoded: Uint8Array[]): Map<string, MessageShape> {
  const cached = shapesByFiles.get(encoded);
  if (cached) return cached;
  const shapes = new Map<string, MessageShape>();
  const visit = (scope: string, messages: MessageProto[] = []) => {
    for (const message of messages) {
      const name = `${scope}.${message.name}`;
      const fields: MessageShape = new Map();
      for (const field of message.field ?? []) {
        const repeated = field.label === LABEL_REPEATED;
        const isMessage = field.type === TYPE_MESSAGE || field.type === TYPE_GROUP;
        fields.set(field.number, {
          name: field.name,
          repeated,
          message: isMessage ? field.typeName : undefined,
          packedWidth: repeated && field.type !== undefined ? (FIXED_WIDTH[field.type] ?? (VARINT_TYPES.has(field.type) ? 0 : undefined)) : undefined,
        });
      }
      shapes.set(name, fields);
      visit(name, message.nestedType);
    }
  };
  // Linked: every type reference fully qualified, as the walk below looks them up.
  for (const bytes of linkFileDescriptors(encoded)) {
    const file = codec.decode(bytes);
    visit(file.package ? `.${file.package}` : '', file.messageType);
  }
  shapesByFiles.set(encoded, shapes);
  return shapes;
}

type LoadedMethod = { path: string; requestType?: { fileDescriptorProtos?: unknown; type?: { name?: unknown } } };

/**
 * The shape of a method's request message, or undefined when the definition carries no
 * descriptors. `repeatedCaps` lowers maxRepeated for named fields of the request.
 */
export function requestShape(method: LoadedMethod, repeatedCaps?: Record<string, number>): RequestShape | undefined {
  const files = method.requestType?.fileDescriptorProtos;
  if (!Array.isArray(files)) return undefined;
  const messages = messageShapes(files as Uint8Array[]);
  const [service, name] = method.path.slice(1).split('/');
  let root: string | undefined;
  for (const bytes of linkFileDescriptors(files as Uint8Array[])) {
    const file = codec.decode(bytes);
    for (const s of file.service ?? []) {
      if (`${file.package ? `${file.package}.` : ''}${s.name}` !== service) continue;
      root = s.method?.find((m) => m.name === name)?.inputType;
    }
  }
  if (!root || !messages.has(root)) return undefined;
  if (repeatedCaps) {
    const fields = messages.get(root)!;
    for (const field of Object.keys(repeatedCaps)) {
      if (![...fields.values()].some((f) => f.name === field && f.repeated)) {
        throw new Error(`request limit for '${field}' on ${method.path}: the request has no repeated field of that name`);
      }
    }
  }
  return { root, messages, repeatedCaps: repeatedCaps && new Map(Object.entries(repeatedCaps)) };
}

interface Frame {
  shape: MessageShape | undefined;
  end: number;
  path: string;
  counts?: Map<number, number>;
}

/**
 * Walks `bytes` as a `shape.root` message; returns the refusal for the first limit crossed,
 * or undefined (also for bytes that are not a valid message: the decoder words that error).
 */
export function checkRequest(bytes: Uint8Array, shape: RequestShape, limits: RequestLimits): AppError | undefined {
  const stack: Frame[] = [{ shape: shape.messages.get(shape.root), end: bytes.length, path: '' }];
  let pos = 0;
  let elements = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.length) return undefined;
      const byte = bytes[pos++];
      if (shift < 28) value |= (byte & 0x7f) << shift;
      else value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  /** Steps over one value of `wireType`; false when the bytes end first. */
  const skip = (wireType: number): boolean => {
    if (wireType === 0) return varint() !== undefined;
    const len = wireType === 2 ? varint() : wireType === 1 ? 8 : wireType === 5 ? 4 : 0;
    if (len === undefined) return false;
    pos += len;
    return pos <= bytes.length;
  };
  /** The refusal for a repeated field over its cap, counting the rest of its entries in this message. */
  const tooMany = (path: string, cap: number, frame: Frame, fieldNumber: number, wireType: number): AppError => {
    let total = frame.counts!.get(fieldNumber)!;
    let ok = skip(wireType);
    while (ok && pos < frame.end) {
      const tag = varint();
      if (tag === undefined) break;
      if (tag >>> 3 === fieldNumber) total++;
      ok = skip(tag & 7);
    }
    return AppError.invalid(path, `at most ${cap} per call, got ${total}`);
  };
  while (pos < bytes.length) {
    let frame = stack[stack.length - 1];
    while (pos >= frame.end && stack.length > 1) {
      stack.pop();
      frame = stack[stack.length - 1];
    }
    const tag = varint();
    if (tag === undefined) return undefined;
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (++elements > limits.maxElements) {
      return new AppError('RESOURCE_EXHAUSTED', `request has more than ${limits.maxElements} fields and entries: send fewer items per call`);
    }
    const field = frame.shape?.get(number);
    if (field?.repeated) {
      const path = frame.path ? `${frame.path}.${field.name}` : field.name;
      const cap = Math.min(limits.maxRepeated, (stack.length === 1 && shape.repeatedCaps?.get(field.name)) || Infinity);
      frame.counts ??= new Map();
      let count = (frame.counts.get(number) ?? 0) + 1;
      if (wireType === 2 && field.packedWidth !== undefined) {
        // A packed run: its entries are its bytes / width, or its bytes below 0x80 for varints.
        const len = varint();
        if (len === undefined || pos + len > bytes.length) return undefined;
        let entries = field.packedWidth ? Math.floor(len / field.packedWidth) : 0;
        if (!field.packedWidth) for (let i = pos; i < pos + len; i++) if (bytes[i] < 0x80) entries++;
        count += entries - 1;
        elements += entries;
        pos += len;
        frame.counts.set(number, count);
        if (count > cap) return AppError.invalid(path, `at most ${cap} per call, got ${count}`);
        if (elements > limits.maxElements) return new AppError('RESOURCE_EXHAUSTED', `request has more than ${limits.maxElements} fields and entries: send fewer items per call`);
        continue;
      }
      frame.counts.set(number, count);
      if (count > cap) return tooMany(path, cap, frame, number, wireType);
    }
    switch (wireType) {
      case 0:
        if (varint() === undefined) return undefined;
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const len = varint();
        if (len === undefined || pos + len > frame.end) return undefined;
        if (field?.message) {
          if (stack.length >= limits.maxDepth) return AppError.invalid(frame.path || 'request', `messages nested more than ${limits.maxDepth} deep`);
          stack.push({ shape: frame.shape === undefined ? undefined : shape.messages.get(field.message), end: pos + len, path: frame.path ? `${frame.path}.${field.name}` : field.name });
        } else {
          pos += len;
        }
        break;
      }
      case 3:
      case 4:
        // Groups (proto2): their fields are walked, and counted, where they stand.
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}
