/**
 * The request checks the gRPC server makes on the wire bytes, made on a Connect or gRPC-Web
 * request body before connect-es decodes it:
 *
 * - a binary message must pass request-limits.ts (entries, elements, depth) and decode with
 *   the gRPC server's own protobufjs type; else INVALID_ARGUMENT (or RESOURCE_EXHAUSTED)
 *   in the gRPC server's words. Without this, connect-es answers undecodable bytes with
 *   INTERNAL ("parse binary: …"), which reads as our bug, and would build every entry of a
 *   4 MiB message of empty entries (two million objects) before any check ran;
 * - a JSON message may be at most MAX_JSON_MESSAGE_BYTES: JSON has no cheap wire walk, and
 *   a parsed JSON array of empty objects costs a hundred bytes of heap per three of body.
 *
 * A refused message is not answered here: it is replaced by an empty one (valid for any
 * message type) and the refusal handed to `onRefusal`; the service adapter then throws it
 * after the token check, as the gRPC server does, and connect-es words the answer in the
 * call's protocol. Envelope framing is split and joined with connect-es's own transforms.
 * A compressed unary body (gzip, br) is inflated here, at most the size limit out, and
 * checked; a compressed enveloped message passes unchecked (browsers do not compress
 * requests): connect-es bounds its inflated size and the adapter checks it once decoded.
 */
import { encodeEnvelope, pipe, transformJoinEnvelopes, transformSplitEnvelope, type EnvelopedMessage } from '@connectrpc/connect/protocol';

import { AppError } from '../errors.js';

/** The largest JSON request message: JSON is for browsers and curl; larger messages go binary. */
export const MAX_JSON_MESSAGE_BYTES = 256 * 1024;

export interface BodyFormat {
  /** Length-prefixed messages (gRPC-Web, Connect streaming) rather than one whole body (Connect unary). */
  enveloped: boolean;
  binary: boolean;
}

/** The body format of a content type connect-es serves; undefined for others (connect-es refuses them). */
export function bodyFormatOf(contentType: string | undefined): BodyFormat | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (type) {
    case 'application/proto':
      return { enveloped: false, binary: true };
    case 'application/json':
      return { enveloped: false, binary: false };
    case 'application/connect+proto':
    case 'application/grpc-web':
    case 'application/grpc-web+proto':
      return { enveloped: true, binary: true };
    case 'application/connect+json':
    case 'application/grpc-web+json':
      return { enveloped: true, binary: false };
    default:
      return undefined;
  }
}

export interface WireGuardOptions {
  format: BodyFormat;
  /**
   * For a compressed unary body (Content-Encoding): inflates it, at most `maxMessageBytes`
   * out, so the message is checked as it will be decoded; the guard then passes on the
   * inflated bytes (the caller drops the Content-Encoding header).
   */
  inflate?(bytes: Uint8Array, maxBytes: number): Uint8Array;
  /** Past this many bytes a message is passed on unchecked: connect-es refuses it (RESOURCE_EXHAUSTED). */
  maxMessageBytes: number;
  /** The refusal of a binary message, or undefined when it may be decoded. */
  check(bytes: Uint8Array): AppError | undefined;
  onRefusal(error: AppError): void;
}

const COMPRESSED = 0b01;
const END_OF_STREAM = 0b10;
const TRAILER = 0x80;
const EMPTY_JSON = new TextEncoder().encode('{}');

function guardMessage(data: Uint8Array, options: WireGuardOptions): Uint8Array {
  if (data.byteLength > options.maxMessageBytes) return data;
  const refusal = options.format.binary
    ? options.check(data)
    : data.byteLength > MAX_JSON_MESSAGE_BYTES
      ? new AppError('RESOURCE_EXHAUSTED', `request: a JSON message may be at most ${MAX_JSON_MESSAGE_BYTES} bytes, got ${data.byteLength}; send binary (application/proto) for larger ones`)
      : undefined;
  if (!refusal) return data;
  options.onRefusal(refusal);
  return options.format.binary ? new Uint8Array(0) : EMPTY_JSON;
}

async function* wholeBody(body: AsyncIterable<Uint8Array>, options: WireGuardOptions): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const iterator = body[Symbol.asyncIterator]();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    chunks.push(next.value);
    length += next.value.byteLength;
    if (length > options.maxMessageBytes) {
      // Too large to check: passed on as it comes, for connect-es to refuse.
      yield* chunks;
      for (next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      return;
    }
  }
  let message: Uint8Array = Buffer.concat(chunks, length);
  if (options.inflate) {
    try {
      message = options.inflate(message, options.maxMessageBytes);
    } catch (err) {
      const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      options.onRefusal(
        tooLarge
          ? new AppError('RESOURCE_EXHAUSTED', `request: inflates to more than ${options.maxMessageBytes} bytes`)
          : AppError.invalid('request', 'could not be decompressed as its Content-Encoding says (send valid gzip or br, or no Content-Encoding)'),
      );
      yield options.format.binary ? new Uint8Array(0) : EMPTY_JSON;
      return;
    }
  }
  yield guardMessage(message, options);
}

async function* guardEnvelopes(envelopes: AsyncIterable<EnvelopedMessage>, options: WireGuardOptions): AsyncIterable<EnvelopedMessage> {
  for await (const envelope of envelopes) {
    const { flags } = envelope;
    const plainMessage = (flags & (COMPRESSED | END_OF_STREAM | TRAILER)) === 0;
    yield plainMessage ? { flags, data: guardMessage(envelope.data, options) } : envelope;
  }
}

/** The body connect-es reads instead of the request's own: the same bytes, or refused messages emptied. */
export function guardBody(body: AsyncIterable<Uint8Array>, options: WireGuardOptions): AsyncIterable<Uint8Array> {
  if (!options.format.enveloped) return wholeBody(body, options);
  return pipe(body, transformSplitEnvelope(options.maxMessageBytes), (envelopes) => guardEnvelopes(envelopes, options), transformJoinEnvelopes());
}

/**
 * A body holding one empty message, read instead of the client's own when the call is refused
 * before its message matters (no service token): the client's bytes are never read.
 */
export async function* emptyBody(format: BodyFormat): AsyncIterable<Uint8Array> {
  const message = format.binary ? new Uint8Array(0) : EMPTY_JSON;
  yield format.enveloped ? encodeEnvelope(0, message) : message;
}
