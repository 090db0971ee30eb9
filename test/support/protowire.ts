/**
 * A minimal protobuf wire codec for tests that must not trust our own protos or stubs: it
 * knows field numbers and wire types only, the way a peer built from the tutorial's protos
 * sees our bytes (https://protobuf.dev/programming-guides/encoding/).
 *
 * @example
 *   const bytes = encode({ 1: encode({ 1: id, 2: 'Lamp' }) });   // CreateProductFromReceiverRequest
 *   const product = decode(response).message(1);                 // LikeProductResponse.product
 *   product.string(2); product.int(4);                            // title, likes
 */

/** A value to encode: strings and bytes/nested messages are length-delimited, numbers varints. */
export type WireValue = string | number | bigint | boolean | Uint8Array;

export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

export interface WireField {
  number: number;
  wireType: number;
  /** varint fields: the unsigned value; I64/I32: the raw little-endian bytes; LEN: the payload. */
  value: bigint | Buffer;
}

export function varint(input: number | bigint): Buffer {
  // Negative int32/int64 go on the wire as their 64-bit two's complement (ten bytes).
  let n = BigInt.asUintN(64, BigInt(input));
  const out: number[] = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) byte |= 0x80;
    out.push(byte);
  } while (n > 0n);
  return Buffer.from(out);
}

function tag(field: number, wireType: number): Buffer {
  return varint((field << 3) | wireType);
}

/**
 * Encodes fields in ascending field-number order. An array value is a repeated field.
 * Like a proto3 encoder, it writes whatever it is given: pass defaults only to test them.
 */
export function encode(fields: Record<number, WireValue | WireValue[]>): Buffer {
  const parts: Buffer[] = [];
  const numbers = Object.keys(fields)
    .map(Number)
    .sort((a, b) => a - b);
  for (const number of numbers) {
    const raw = fields[number];
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (typeof value === 'number' || typeof value === 'bigint') parts.push(tag(number, WireType.VARINT), varint(value));
      else if (typeof value === 'boolean') parts.push(tag(number, WireType.VARINT), varint(value ? 1 : 0));
      else {
        const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
        parts.push(tag(number, WireType.LEN), varint(bytes.length), bytes);
      }
    }
  }
  return Buffer.concat(parts);
}

/** Splits a message into its fields, in wire order. Throws on truncated or malformed input. */
export function decodeFields(input: Uint8Array): WireField[] {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const fields: WireField[] = [];
  let i = 0;
  const readVarint = (): bigint => {
    let n = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (i >= buf.length) throw new Error(`truncated varint at byte ${i}`);
      const byte = buf[i++];
      n |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return n;
    }
    throw new Error(`varint longer than 10 bytes at byte ${i}`);
  };
  const take = (length: number): Buffer => {
    if (i + length > buf.length) throw new Error(`field runs past the end of the message (${i + length} > ${buf.length})`);
    const bytes = buf.subarray(i, i + length);
    i += length;
    return bytes;
  };
  while (i < buf.length) {
    const key = readVarint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new Error('field number 0 is invalid');
    if (wireType === WireType.VARINT) fields.push({ number, wireType, value: readVarint() });
    else if (wireType === WireType.I64) fields.push({ number, wireType, value: take(8) });
    else if (wireType === WireType.LEN) fields.push({ number, wireType, value: take(Number(readVarint())) });
    else if (wireType === WireType.I32) fields.push({ number, wireType, value: take(4) });
    else throw new Error(`unsupported wire type ${wireType} for field ${number}`);
  }
  return fields;
}

/** A decoded message, read as the schema would (last value wins; absent = proto3 default). */
export class WireMessage {
  readonly fields: WireField[];

  constructor(readonly bytes: Buffer) {
    this.fields = decodeFields(bytes);
  }

  /** Field numbers present, in ascending order without duplicates. */
  numbers(): number[] {
    return [...new Set(this.fields.map((f) => f.number))].sort((a, b) => a - b);
  }

  has(number: number): boolean {
    return this.fields.some((f) => f.number === number);
  }

  /** The last occurrence of a field, checked to have the expected wire type. */
  private last(number: number, wireType: number): WireField | undefined {
    const found = this.fields.filter((f) => f.number === number);
    const field = found[found.length - 1];
    if (field && field.wireType !== wireType) {
      throw new Error(`field ${number} has wire type ${field.wireType}, expected ${wireType}`);
    }
    return field;
  }

  string(number: number): string {
    const field = this.last(number, WireType.LEN);
    return field ? (field.value as Buffer).toString('utf8') : '';
  }

  bytesOf(number: number): Buffer {
    const field = this.last(number, WireType.LEN);
    return field ? (field.value as Buffer) : Buffer.alloc(0);
  }

  /** An embedded message; an absent one reads as the empty message. */
  message(number: number): WireMessage {
    return new WireMessage(this.bytesOf(number));
  }

  /** A varint as an unsigned bigint (0n when absent). */
  varint(number: number): bigint {
    const field = this.last(number, WireType.VARINT);
    return field ? (field.value as bigint) : 0n;
  }

  /** An int32/int64 varint as a number (two's complement for negatives). */
  int(number: number): number {
    return Number(BigInt.asIntN(64, this.varint(number)));
  }
}

export function decode(bytes: Uint8Array): WireMessage {
  return new WireMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
