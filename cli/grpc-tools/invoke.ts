/**
 * One unary call with raw protobuf bytes in and out, for `mgrpc call`: a short-lived channel
 * (a CLI run makes one call), the caller's metadata, the service token and a deadline.
 * A failed call rejects with the grpc-js ServiceError, whose code and details the command prints.
 */
import * as grpc from '@grpc/grpc-js';

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

/** From a grpc-js ServiceError (or anything thrown while calling), noting where it went. */
export function callFailure(err: unknown, address: string, what = ''): CallFailure {
  const error = err as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const status = code === undefined ? 'UNKNOWN' : (grpc.status[code] ?? `CODE_${code}`);
  const details = typeof error?.details === 'string' && error.details ? error.details : String(error?.message ?? err);
  const where = code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED ? ` (server ${address})` : '';
  return new CallFailure(status, `${what}${details}${where}`);
}
