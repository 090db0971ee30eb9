/**
 * Starts a grpc-js server for a list of services. Each handler is wrapped once: the
 * decoded request goes in, the response or a status comes out, and every error passes
 * through AppError so clients get the table's status and a readable message, never a
 * stack trace. INTERNAL errors are logged here with their cause. Every server also serves
 * grpc.health.v1.Health (see ../health/grpc-health.ts) and, unless turned off, server
 * reflection (see reflection.ts).
 *
 * Bytes that are not a valid request message answer INVALID_ARGUMENT naming the message
 * type (grpc-js alone answers INTERNAL "Error deserializing request", which reads as our
 * bug), and a request over `maxMessageBytes` answers RESOURCE_EXHAUSTED before it is decoded.
 *
 * Server-streaming handlers (async iterables, see define-service.ts) are pulled one message
 * at a time: the next is asked for only once the client has taken the last (grpc-js's write
 * buffer, then HTTP/2 flow control), so a slow client costs a few messages, not a queue.
 * A push stream (the watch streams) writes into the call itself, synchronously while the
 * buffer has room, and waits for 'drain' only when it is full: the same bound, no promise
 * per message.
 * Their errors map exactly as unary ones do; a graceful close ends them UNAVAILABLE.
 */
import * as grpc from '@grpc/grpc-js';

import { AppError } from '../errors.js';
import { addHealthService, healthService, type HealthReporter } from '../health/grpc-health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { reportCall } from '../observability/call-report.js';
import { REQUEST_ID_HEADER, requestContextFrom, runInRequestContext, type RequestContext } from '../observability/request-context.js';
import { serviceTokenInterceptor } from '../security/service-token.js';
import { callLimitInterceptor, DEFAULT_CONCURRENCY_LIMITS, watchStreamLimiter, type ConcurrencyLimits, type WatchStreamLimiter } from './concurrency-limits.js';
import { answersDirectly, isPushStream, type AnyHandler, type CallContext, type GrpcService, type ServerStreamHandler, type UnaryHandler } from './define-service.js';
import { checkRequest, DEFAULT_REQUEST_LIMITS, requestShape, type RequestLimits, type RequestShape } from './request-limits.js';

/** grpc-js's own default, made explicit: the largest request message a server accepts. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GrpcServerOptions {
  host: string;
  port: number;
  services: GrpcService[];
  logger: Logger;
  /** Plaintext when unset; see `grpcServerSecurity` for TLS from the environment. */
  credentials?: grpc.ServerCredentials;
  /** When set, calls without `authorization: Bearer <token>` get UNAUTHENTICATED (health exempt). */
  serviceToken?: string;
  /** Largest request message in bytes (default 4 MiB); larger ones get RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  /** When set, every call is counted and timed (grpc_server_handled_total, grpc_server_handling_seconds). */
  metrics?: Metrics;
  /** Serve grpc.reflection (v1 and v1alpha) listing the served services and health (default true). */
  reflection?: boolean;
  /** What one request may make the server allocate (see request-limits.ts); defaults per field. */
  requestLimits?: Partial<RequestLimits>;
  /** How many calls and streams the server holds at once (see concurrency-limits.ts). */
  concurrency?: Partial<ConcurrencyLimits>;
}

/** What a request that failed to decode becomes, so the handler wrapper can refuse it. */
class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/** A request refused on its wire bytes, before decoding (request-limits.ts). */
class RefusedRequest {
  constructor(readonly error: AppError) {}
}

// grpc-js percent-encodes details with encodeURI, which throws on a lone UTF-16 surrogate:
// an error message that echoed such input ("id: '\ud800' is not a valid UUID") crashed the
// whole server from inside grpc-js. Replace them as UTF-8 would (U+FFFD).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Longest status message sent: it travels in a header, and an echo of a huge input must not. */
const MAX_DETAILS = 1000;

/** A status message safe to send: bounded, and without lone surrogates. */
export function safeDetails(details: string): string {
  const short = details.length > MAX_DETAILS ? `${Array.from(details.slice(0, 2 * MAX_DETAILS)).slice(0, MAX_DETAILS).join('')}…` : details;
  return short.replace(LONE_SURROGATE, '\ufffd');
}

function messageTypeOf(method: grpc.MethodDefinition<unknown, unknown>): string {
  const type = (method as { requestType?: { type?: { name?: unknown } } }).requestType?.type?.name;
  return typeof type === 'string' ? type : 'request';
}

export interface RunningGrpcServer {
  server: grpc.Server;
  port: number;
  /** The grpc.health.v1 statuses of this server (SERVING once listening). */
  health: HealthReporter;
  /**
   * Reports NOT_SERVING (ending health Watch streams), stops accepting connections and calls,
   * lets in-flight calls finish (up to `graceMs`), then closes. Calling it again is a no-op.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * One call's bookkeeping: its request id (the caller's `x-request-id` metadata, else a new
 * one made when first asked for) is the current request id while the handler runs, and when
 * it ends one info line
 *   INFO [dashboard.grpc] call method=/product.ProductService/LikeProduct code=OK duration_ms=2.4 request_id=…
 * and the metrics record it (observability/call-report.ts). A class rather than closures: it is
 * made for every call.
 */
class CallRecord {
  private readonly started = performance.now();
  readonly context: RequestContext;
  /** Item outcomes of a batch call (CallContext.countItem), by status name; made on first use. */
  private items: Record<string, number> | undefined;

  constructor(
    private readonly path: string,
    metadata: grpc.Metadata,
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
  ) {
    this.context = requestContextFrom(metadata.get(REQUEST_ID_HEADER)[0]);
  }

  done(status: grpc.status, fields?: Record<string, unknown>): void {
    reportCall(this.logger, this.metrics, this.path, grpc.status[status] ?? String(status), (performance.now() - this.started) / 1000, this.context, this.items, undefined, fields);
  }

  countItem(error?: AppError): void {
    const itemCode = error ? (grpc.status[error.grpcStatus] ?? String(error.grpcStatus)) : 'OK';
    this.items ??= {};
    this.items[itemCode] = (this.items[itemCode] ?? 0) + 1;
  }

  /** Logs an INTERNAL error with its cause (the client gets only the table's message). */
  failed(error: AppError, err: unknown): void {
    if (AppError.isInternal(error)) this.logger.error('call failed', { method: this.path, request_id: this.context.requestId, error: describe(error.cause ?? err) });
  }
}

/**
 * What a handler is given (CallContext). Most handlers never look at the signal: it (and its
 * listener on the call) is made only when one does. A stream's is made by the stream.
 */
class GrpcCallContext implements CallContext {
  private controller: AbortController | undefined;

  constructor(
    readonly method: string,
    private readonly call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
    private readonly record: CallRecord,
    private readonly streamSignal?: AbortSignal,
  ) {}

  get metadata(): grpc.Metadata {
    return this.call.metadata;
  }

  get peer(): string {
    return this.call.getPeer();
  }

  get signal(): AbortSignal {
    if (this.streamSignal) return this.streamSignal;
    if (!this.controller) {
      const created = (this.controller = new AbortController());
      if (this.call.cancelled) created.abort();
      else this.call.once('cancelled', () => created.abort());
    }
    return this.controller.signal;
  }

  countItem(error?: AppError): void {
    this.record.countItem(error);
  }
}

/** The status a request refused before its handler runs gets (undecodable, or over a limit), if it is one. */
function refusal(request: unknown, requestType: string): { code: grpc.status; details: string; logged: string } | undefined {
  if (request instanceof UndecodableRequest) {
    // protobufjs's reasons ("index out of range: 7 + 10 > 12") are safe and help a peer debug its encoder.
    return { code: grpc.status.INVALID_ARGUMENT, details: safeDetails(`request is not a valid ${requestType} message: ${request.reason.slice(0, 200)}`), logged: request.reason.slice(0, 200) };
  }
  if (request instanceof RefusedRequest) return { code: request.error.grpcStatus, details: safeDetails(request.error.message), logged: request.error.message };
  return undefined;
}

function wrap(path: string, requestType: string, handler: UnaryHandler<unknown, unknown>, logger: Logger, metrics: Metrics | undefined): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const record = new CallRecord(path, call.metadata, logger, metrics);
    const refused = refusal(call.request, requestType);
    if (refused) {
      record.done(refused.code, { error: refused.logged });
      callback({ code: refused.code, details: refused.details });
      return;
    }
    const respond = (response: unknown) => {
      record.done(grpc.status.OK);
      callback(null, response);
    };
    const fail = (err: unknown) => {
      const error = AppError.from(err);
      record.failed(error, err);
      record.done(error.grpcStatus);
      callback({ code: error.grpcStatus, details: safeDetails(error.message) });
    };
    const context = new GrpcCallContext(path, call, record);
    if (answersDirectly(handler)) {
      // No promise for this call (define-service.ts): the handler calls one of the two.
      try {
        runInRequestContext(record.context, () => handler.answer(call.request, context, respond, fail));
      } catch (err) {
        fail(err);
      }
      return;
    }
    runInRequestContext(record.context, () => handler(call.request, context)).then(respond, fail);
  };
}

/**
 * A stream serializer that encodes a frozen message once: a change fanned out to a thousand
 * watchers is one object yielded by every stream (watch/feed.ts), and freezing is what makes
 * reusing its bytes safe. Anything else is encoded as usual.
 */
function encodeFrozenOnce(serialize: grpc.serialize<unknown>): grpc.serialize<unknown> {
  const encoded = new WeakMap<object, Buffer>();
  return (value) => {
    if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return serialize(value);
    let bytes = encoded.get(value);
    if (!bytes) encoded.set(value, (bytes = serialize(value)));
    return bytes;
  };
}

/** What a graceful close tells a stream's client: the stream ends, the service does not. */
export const SHUTDOWN_DETAILS = 'server shutting down: reconnect (to another replica) and resume from the last seq received';

/** Resolves when `call` can take more (its buffer drained) or the call is over. */
function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done);
  });
}

/**
 * A server-streaming call: admitted against the stream limits, then the handler's messages
 * written one by one, each only once the client has room for it. The log line comes when
 * the stream ends, with the number of messages sent.
 */
function wrapStream(
  path: string,
  requestType: string,
  handler: ServerStreamHandler<unknown, unknown>,
  logger: Logger,
  metrics: Metrics | undefined,
  limiter: WatchStreamLimiter,
  open: Set<() => void>,
): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const record = new CallRecord(path, call.metadata, logger, metrics);
    const refused = refusal(call.request, requestType);
    if (refused) {
      record.done(refused.code, { error: refused.logged });
      call.emit('error', { code: refused.code, details: refused.details });
      return;
    }
    if (!limiter.admit(call)) {
      record.done(grpc.status.RESOURCE_EXHAUSTED);
      return;
    }
    const controller = new AbortController();
    let shuttingDown = false;
    const cancel = () => controller.abort();
    const shutdown = () => {
      shuttingDown = true;
      controller.abort();
    };
    if (call.cancelled) controller.abort();
    else call.once('cancelled', cancel);
    open.add(shutdown);
    const context = new GrpcCallContext(path, call, record, controller.signal);
    let sent = 0;
    const pump = async () => {
      const stream = handler(call.request, context);
      if (isPushStream(stream)) {
        // Written as they come, synchronously while grpc-js's buffer takes them (watch streams).
        let open = !controller.signal.aborted; // a plain flag: no AbortSignal getter per message
        controller.signal.addEventListener('abort', () => (open = false), { once: true });
        return stream.pushTo({
          write: (message) => {
            if (!open) return false;
            sent++;
            return call.write(message);
          },
          drained: () => drained(call, controller.signal),
        });
      }
      const iterator = stream[Symbol.asyncIterator]();
      let finished = false;
      try {
        while (!controller.signal.aborted) {
          const next = await iterator.next();
          if (next.done) {
            finished = true;
            break;
          }
          if (controller.signal.aborted) break;
          sent++;
          if (!call.write(next.value)) await drained(call, controller.signal);
        }
      } finally {
        // A handler that did not finish (cancelled, shut down, or a write failed) is told to clean up.
        if (!finished) await iterator.return?.();
      }
    };
    const end = (status: grpc.status, details?: string) => {
      open.delete(shutdown);
      call.off('cancelled', cancel);
      record.done(status, { messages: sent });
      if (call.cancelled) return; // nobody to tell
      if (status === grpc.status.OK) call.end();
      else call.emit('error', { code: status, details });
    };
    runInRequestContext(record.context, pump).then(
      () => (shuttingDown ? end(grpc.status.UNAVAILABLE, SHUTDOWN_DETAILS) : end(call.cancelled ? grpc.status.CANCELLED : grpc.status.OK)),
      (err: unknown) => {
        // A handler that gives up waiting because of the abort throws: that is the abort, not its error.
        if (shuttingDown) return end(grpc.status.UNAVAILABLE, SHUTDOWN_DETAILS);
        if (call.cancelled) return end(grpc.status.CANCELLED);
        const error = AppError.from(err);
        record.failed(error, err);
        end(error.grpcStatus, safeDetails(error.message));
      },
    );
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  // grpc-js prints its own diagnostics straight to stderr; route them through our logger
  // (bind failures, for one, are reported to the caller with a better message).
  grpc.setLogger({ error: (...args: unknown[]) => options.logger.debug(`grpc-js: ${args.join(' ')}`) });
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...options.requestLimits };
  const concurrency: ConcurrencyLimits = { ...DEFAULT_CONCURRENCY_LIMITS, ...options.concurrency };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    'grpc.max_concurrent_streams': concurrency.maxStreamsPerConnection,
    // No channelz service is served, so its per-call bookkeeping (counters, timestamps, a
    // tracker object per call) is work nobody reads.
    'grpc.enable_channelz': 0,
    // The call limit first: a refused call costs nothing more, not even a token comparison.
    interceptors: [callLimitInterceptor(concurrency.maxCalls), ...(options.serviceToken ? [serviceTokenInterceptor(options.serviceToken)] : [])],
  });
  const guardedDeserialize = (deserialize: grpc.deserialize<unknown>, shape: RequestShape | undefined): grpc.deserialize<unknown> => (bytes) => {
    try {
      const refusal = shape && checkRequest(bytes, shape, limits);
      if (refusal) return new RefusedRequest(refusal);
      return deserialize(bytes);
    } catch (err) {
      return new UndecodableRequest(err instanceof Error ? err.message : String(err));
    }
  };
  // The services' own streams, with their own limits (health and reflection have theirs below).
  const serverStreams = watchStreamLimiter({ maxWatchStreams: concurrency.maxServerStreams, maxWatchStreamsPerConnection: concurrency.maxServerStreamsPerConnection });
  // How to end each open server stream when the server closes (UNAVAILABLE: reconnect elsewhere).
  const openStreams = new Set<() => void>();
  for (const service of options.services) {
    const implementation: grpc.UntypedServiceImplementation = {};
    const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    for (const [name, method] of Object.entries(service.definition)) {
      const handler = (service.handlers as Record<string, AnyHandler>)[name];
      implementation[name] = method.responseStream
        ? wrapStream(method.path, messageTypeOf(method), handler as ServerStreamHandler<unknown, unknown>, options.logger, options.metrics, serverStreams, openStreams)
        : wrap(method.path, messageTypeOf(method), handler as UnaryHandler<unknown, unknown>, options.logger, options.metrics);
      const shape = requestShape(method as Parameters<typeof requestShape>[0], service.repeatedCaps?.[name]);
      definition[name] = { ...method, requestDeserialize: guardedDeserialize(method.requestDeserialize, shape) };
      if (method.responseStream) definition[name].responseSerialize = encodeFrozenOnce(method.responseSerialize);
    }
    server.addService(definition as grpc.ServiceDefinition, implementation);
  }
  const streams = watchStreamLimiter(concurrency);
  const health = addHealthService(server, options.services.map((service) => service.definition), streams);
  if (options.reflection ?? true) {
    // Loaded here, not with the framework: @grpc/reflection is for gRPC servers only, and a
    // REST server's start-up need not pay for it.
    const { addReflectionService } = await import('./reflection.js');
    addReflectionService(server, [...options.services.map((service) => service.definition), healthService()], streams);
  }
  const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, options.credentials ?? grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  health.serving();
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    health,
    close: (graceMs = 5000) =>
      (closing ??= new Promise<void>((resolve) => {
        // Watch streams never end by themselves and tryShutdown waits for every stream.
        health.shutdown();
        for (const shutdown of [...openStreams]) shutdown();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      })),
  };
}
