/**
 * Serves a GrpcService (defineService's handlers) to connect-es, so the one handler code
 * answers native gRPC, Connect (JSON and binary) and gRPC-Web alike.
 *
 * How a request reaches the handler: connect-es decodes the request (JSON or binary) into
 * its own message; we write that back to protobuf bytes (toBinary) and decode them with the
 * very protobufjs type the gRPC server uses, after the same wire checks
 * (request-limits.ts). Going through the bytes costs a few microseconds per message and
 * buys exactness: the handler sees the proto-loader shape (camelCase, int64 as strings,
 * defaults filled) whatever the protocol, with no second mapping to keep in step, and a
 * request refused by gRPC is refused here with the same words. Responses go the other way
 * (protobufjs bytes -> connect-es message), so they are checked against the proto as gRPC's
 * are. A binary request was already checked on its wire bytes before connect-es decoded it
 * (wire-guard.ts, with `wireCheck` below): its refusal is thrown here, in the gRPC server's
 * order (token, call limit, then the message).
 *
 * The rest mirrors grpc/server.ts: the service token, the call limit (and a stream limit),
 * the request id, the deadline as CallContext.signal, every error through AppError into the
 * same table, INTERNAL causes logged and never sent.
 */
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { ConnectError } from '@connectrpc/connect';
import { fromBinary, toBinary, type DescMessage, type DescMethod } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';

import { AppError } from '../errors.js';
import type { CallContext, GrpcService } from '../grpc/define-service.js';
import { DEFAULT_CONCURRENCY_LIMITS, serverBusy, type ConcurrencyLimits } from '../grpc/concurrency-limits.js';
import { checkRequest, DEFAULT_REQUEST_LIMITS, requestShape, type RequestLimits, type RequestShape } from '../grpc/request-limits.js';
import type { Logger } from '../logger.js';
import { REQUEST_ID_HEADER, runWithRequestId } from '../observability/request-context.js';
import { INVALID_SERVICE_TOKEN, isExemptFromServiceToken, presentsToken } from '../security/service-token.js';
import { CALL_RECORD, type CallRecord } from './call-record.js';
import { connectServiceOf } from './descriptors.js';
import { codeName, toConnectError } from './errors.js';

export interface ServiceAdapterOptions {
  logger: Logger;
  /** When set, calls without `authorization: Bearer <token>` get UNAUTHENTICATED, as on the gRPC port. */
  serviceToken?: string;
  requestLimits?: Partial<RequestLimits>;
  concurrency?: Partial<ConcurrencyLimits>;
}

type GrpcMethod = grpc.MethodDefinition<unknown, unknown> & { requestStream: boolean; responseStream: boolean };
type AnyHandler = (request: unknown, call: CallContext) => Promise<unknown> | AsyncIterable<unknown>;

/** The gRPC metadata of a Connect request, so handlers read headers as they read metadata. */
function metadataOf(headers: Headers): grpc.Metadata {
  const metadata = new grpc.Metadata();
  headers.forEach((value, key) => {
    try {
      if (key.endsWith('-bin')) metadata.add(key, Buffer.from(value, 'base64'));
      else metadata.add(key, value);
    } catch {
      // A header gRPC metadata cannot hold (non-ASCII): the handler would not have got it over gRPC either.
    }
  });
  return metadata;
}

/**
 * Counts calls in progress and open server streams, apart, as the gRPC server does; refuses
 * over the limits with its words. Streams are counted per client address, not per
 * connection: over HTTP/1.1 every stream has a connection of its own.
 */
function admission(limits: ConcurrencyLimits) {
  let calls = 0;
  let streams = 0;
  const streamsPerClient = new Map<string, number>();
  return {
    /** Returns the release function, or throws RESOURCE_EXHAUSTED. */
    admit(client: string, stream: boolean): () => void {
      const mine = streamsPerClient.get(client) ?? 0;
      if (!stream && calls >= limits.maxCalls) throw new AppError('RESOURCE_EXHAUSTED', serverBusy(limits.maxCalls));
      if (stream && streams >= limits.maxServerStreams) throw new AppError('RESOURCE_EXHAUSTED', `server has ${limits.maxServerStreams} streams open; retry with backoff`);
      if (stream && mine >= limits.maxServerStreamsPerConnection) {
        throw new AppError('RESOURCE_EXHAUSTED', `this client has ${limits.maxServerStreamsPerConnection} streams open; close one first`);
      }
      if (stream) {
        streams++;
        streamsPerClient.set(client, mine + 1);
      } else {
        calls++;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (!stream) {
          calls--;
          return;
        }
        streams--;
        const left = (streamsPerClient.get(client) ?? 1) - 1;
        if (left === 0) streamsPerClient.delete(client);
        else streamsPerClient.set(client, left);
      };
    },
  };
}

export interface ServiceAdapter {
  /** Registers every method of the services on a connect-es router. */
  register(router: ConnectRouter): void;
  /** The wire check of a method's binary request (limits, then a protobufjs decode), by path. */
  wireCheck(path: string): ((bytes: Uint8Array) => AppError | undefined) | undefined;
}

/** What the gRPC server answers for bytes its protobufjs type cannot decode. */
function undecodable(requestType: string, err: unknown): AppError {
  // grpc/server.ts's words; protobufjs's reasons ("index out of range: 7 + 10 > 12") help a peer debug its encoder.
  return new AppError('INVALID_ARGUMENT', `request is not a valid ${requestType} message: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}`);
}

export function createServiceAdapter(services: GrpcService[], options: ServiceAdapterOptions): ServiceAdapter {
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...options.requestLimits };
  const gate = admission({ ...DEFAULT_CONCURRENCY_LIMITS, ...options.concurrency });
  const { logger, serviceToken } = options;

  const methodOf = (service: GrpcService, name: string) => {
    const method = service.definition[name] as GrpcMethod;
    const handler = (service.handlers as Record<string, AnyHandler>)[name]!;
    const shape: RequestShape | undefined = requestShape(method as Parameters<typeof requestShape>[0], service.repeatedCaps?.[name]);
    const requestType = (method as { requestType?: { type?: { name?: string } } }).requestType?.type?.name ?? 'request';
    return { method, handler, shape, requestType };
  };

  /** The checks before a handler runs, and its CallContext. Throws AppError. */
  const enter = (desc: DescMethod, m: ReturnType<typeof methodOf>, message: unknown, ctx: HandlerContext, record: CallRecord) => {
    const metadata = metadataOf(ctx.requestHeader);
    if (serviceToken && !isExemptFromServiceToken(m.method.path) && !presentsToken(metadata, serviceToken)) {
      throw new AppError('UNAUTHENTICATED', INVALID_SERVICE_TOKEN);
    }
    const release = gate.admit(record.client, m.method.responseStream);
    try {
      if (record.refusal) throw record.refusal;
      const bytes = Buffer.from(toBinary(desc.input, message as never));
      const refusal = m.shape && checkRequest(bytes, m.shape, limits);
      if (refusal) throw refusal;
      let request: unknown;
      try {
        request = m.method.requestDeserialize(bytes);
      } catch (err) {
        throw undecodable(m.requestType, err);
      }
      const context: CallContext = {
        method: m.method.path,
        metadata,
        peer: record.peer,
        signal: ctx.signal,
        countItem(error) {
          const itemCode = error ? (grpc.status[error.grpcStatus] ?? String(error.grpcStatus)) : 'OK';
          record.items ??= {};
          record.items[itemCode] = (record.items[itemCode] ?? 0) + 1;
        },
      };
      return { request, context, release };
    } catch (err) {
      release();
      throw err;
    }
  };

  /** Turns a handler's response object into the connect-es message, through the same protobufjs type. */
  const encode = (output: DescMessage, m: ReturnType<typeof methodOf>, response: unknown) => fromBinary(output, m.method.responseSerialize(response));

  /** Maps anything thrown to the ConnectError the client gets, recording the outcome. */
  const fail = (err: unknown, ctx: HandlerContext, record: CallRecord): ConnectError => {
    // The deadline or the client went first: connect-es answers that itself, whatever the handler does next.
    const reason: unknown = ctx.signal.aborted ? ctx.signal.reason : undefined;
    if (reason instanceof ConnectError) {
      record.finish(codeName(reason.code));
      return reason;
    }
    const error = AppError.from(err);
    if (AppError.isInternal(error)) logger.error('call failed', { method: record.method, request_id: record.requestId, protocol: record.protocol, error: describe(error.cause ?? err) });
    record.finish(codeName(error.grpcStatus as number), error.code === 'INTERNAL' ? {} : { error: error.message.slice(0, 200) });
    return toConnectError(error);
  };

  const checks = new Map<string, (bytes: Uint8Array) => AppError | undefined>();
  for (const service of services) {
    for (const name of Object.keys(service.definition)) {
      const m = methodOf(service, name);
      checks.set(m.method.path, (bytes) => {
        const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const refusal = m.shape && checkRequest(buffer, m.shape, limits);
        if (refusal) return refusal;
        try {
          m.method.requestDeserialize(buffer);
          return undefined;
        } catch (err) {
          return undecodable(m.requestType, err);
        }
      });
    }
  }

  const register = (router: ConnectRouter) => {
    for (const service of services) {
      const desc = connectServiceOf(service.definition);
      for (const name of Object.keys(service.definition)) {
        const m = methodOf(service, name);
        const methodDesc = desc.methods.find((candidate) => candidate.name === name);
        if (!methodDesc) throw new Error(`Connect: ${m.method.path} has no descriptor`);
        const recordOf = (ctx: HandlerContext): CallRecord => {
          const record = ctx.values.get(CALL_RECORD);
          if (!record) throw new Error('Connect: a call reached a handler without its record; serve through connectEdge');
          record.protocol = ctx.protocolName;
          ctx.responseHeader.set(REQUEST_ID_HEADER, record.requestId);
          // The deadline passing is answered by connect-es while a handler may still run: record it then.
          ctx.signal.addEventListener('abort', () => {
            if (ctx.signal.reason instanceof ConnectError) record.finish(codeName(ctx.signal.reason.code));
          }, { once: true });
          return record;
        };
        if (m.method.requestStream) throw new Error(`Connect: ${m.method.path} streams requests, which browsers cannot send; not served`);
        if (m.method.responseStream) {
          router.rpc(methodDesc as never, async function* (message: unknown, ctx: HandlerContext) {
            const record = recordOf(ctx);
            let release: (() => void) | undefined;
            try {
              const entered = enter(methodDesc, m, message, ctx, record);
              release = entered.release;
              const stream = runWithRequestId(record.requestId, () => m.handler(entered.request, entered.context)) as AsyncIterable<unknown>;
              // Each step of the handler runs under the call's request id (a generator's body runs in its caller's context).
              const items = stream[Symbol.asyncIterator]();
              try {
                for (;;) {
                  const next = await runWithRequestId(record.requestId, () => items.next());
                  if (next.done) break;
                  yield encode(methodDesc.output, m, next.value);
                }
              } finally {
                await items.return?.();
              }
              // A handler stops when its signal aborts; the stream then ends with the reason (UNAVAILABLE on shutdown), not OK.
              if (ctx.signal.aborted && ctx.signal.reason instanceof ConnectError) throw ctx.signal.reason;
              record.finish('OK');
            } catch (err) {
              throw fail(err, ctx, record);
            } finally {
              release?.();
              // The client went away mid-stream: connect-es stops pulling, and no error reaches us.
              if (!record.finished) record.finish('CANCELLED');
            }
          } as never);
        } else {
          router.rpc(methodDesc as never, (async (message: unknown, ctx: HandlerContext) => {
            const record = recordOf(ctx);
            let release: (() => void) | undefined;
            try {
              const entered = enter(methodDesc, m, message, ctx, record);
              release = entered.release;
              const response = await runWithRequestId(record.requestId, () => m.handler(entered.request, entered.context) as Promise<unknown>);
              const encoded = encode(methodDesc.output, m, response);
              record.finish(ctx.signal.aborted && ctx.signal.reason instanceof ConnectError ? codeName(ctx.signal.reason.code) : 'OK');
              return encoded;
            } catch (err) {
              throw fail(err, ctx, record);
            } finally {
              release?.();
            }
          }) as never);
        }
      }
    }
  };
  return { register, wireCheck: (path) => checks.get(path) };
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
