/**
 * One unary call with raw protobuf bytes in and out, for `mgrpc call`: a short-lived channel
 * (a CLI run makes one call), the caller's metadata, the service token and a deadline.
 * A failed call rejects with the grpc-js ServiceError, whose code and details the command prints.
 */
import * as grpc from '@grpc/grpc-js';

import { NETWORK_REASONS } from '../client/http.js';
import { UsageError } from '../handle-error.js';
import { CallFailure } from './call-failure.js';

export interface InvokeOptions {
  address: string;
  path: string;
  request: Buffer;
  credentials: grpc.ChannelCredentials;
  /** Extra metadata as given on the command line (`key=value`). */
  metadata: [string, string][];
  serviceToken?: string;
  deadlineMs: number;
}

export function buildMetadata(pairs: [string, string][], serviceToken?: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of pairs) {
    try {
      if (key.endsWith('-bin')) metadata.add(key, Buffer.from(value, 'base64'));
      else metadata.add(key, value);
    } catch (err) {
      throw new UsageError(`--metadata ${key}=${value}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (serviceToken && !metadata.get('authorization').length) metadata.set('authorization', `Bearer ${serviceToken}`);
  return metadata;
}

export function invokeUnary(options: InvokeOptions): Promise<Buffer> {
  const client = new grpc.Client(options.address, options.credentials);
  const metadata = buildMetadata(options.metadata, options.serviceToken);
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      options.path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      options.request,
      metadata,
      { deadline: Date.now() + options.deadlineMs },
      (err, response) => (err ? reject(err) : resolve(response!)),
    );
  }).finally(() => client.close());
}

export interface StreamOptions extends Omit<InvokeOptions, 'deadlineMs'> {
  /** No deadline when unset: a watch stream has no natural end. */
  deadlineMs?: number;
  /** Called with each response message's bytes, in order. */
  onMessage(bytes: Buffer): void;
  /** Stop (cancel the call, resolve) after this many messages. */
  maxMessages?: number;
}

/** One server-streaming call: resolves when the stream ends OK (or after maxMessages), rejects with its error. */
export function invokeServerStream(options: StreamOptions): Promise<void> {
  const client = new grpc.Client(options.address, options.credentials);
  const metadata = buildMetadata(options.metadata, options.serviceToken);
  return new Promise<void>((resolve, reject) => {
    const call = client.makeServerStreamRequest(
      options.path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      options.request,
      metadata,
      options.deadlineMs ? { deadline: Date.now() + options.deadlineMs } : {},
    );
    let received = 0;
    let enough = false;
    call.on('data', (bytes: Buffer) => {
      if (enough) return;
      options.onMessage(bytes);
      received++;
      if (options.maxMessages !== undefined && received >= options.maxMessages) {
        enough = true;
        call.cancel();
        resolve();
      }
    });
    call.on('error', (err) => (enough ? undefined : reject(err)));
    call.on('end', () => resolve());
  }).finally(() => client.close());
}

/**
 * grpc-js's words for a server it could not connect to ("No connection established. Last
 * error: connect ECONNREFUSED 127.0.0.1:1 (…). Resolution note: ") as a short reason.
 */
function connectReason(details: string): string | undefined {
  if (!/No connection established|Failed to connect|failed to connect to all addresses|Name resolution failed/i.test(details)) return undefined;
  const code = /\b(E[A-Z_]+)\b/.exec(details)?.[1];
  if (code) return NETWORK_REASONS[code] ?? code;
  if (/Name resolution failed/i.test(details)) return 'host not found';
  return 'no connection';
}

/**
 * From a grpc-js ServiceError (or anything thrown while calling), noting where it went and,
 * when given, where that address came from (`--addr`, a variable, the running `up`, the default).
 */
export function callFailure(err: unknown, address: string, what = '', from?: string): CallFailure {
  const error = err as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const status = code === undefined ? 'UNKNOWN' : (grpc.status[code] ?? `CODE_${code}`);
  const details = typeof error?.details === 'string' && error.details ? error.details : String(error?.message ?? err);
  const origin = `address from ${from ?? '--addr'}`;
  const unreachable = code === grpc.status.UNAVAILABLE ? connectReason(details) : undefined;
  if (unreachable) {
    return new CallFailure(status, `${what}cannot reach the gRPC server at ${address} (${unreachable}; ${origin}) — is it running? pass --addr HOST:PORT, start everything with \`mgrpc up\`, or see \`mgrpc status\``);
  }
  const where = code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED ? ` (server ${address}; ${origin})` : '';
  return new CallFailure(status, `${what}${details}${where}`);
}
