/**
 * A gRPC service is a definition (from the generated stubs) plus async handlers, one per
 * RPC, typed from the proto. Handlers return the response or throw; the server turns
 * whatever they throw into a status through AppError, in one place.
 *
 * @example
 *   export const userService = defineService(proto.user.UserService.service, {
 *     async GetUser() { return { id: await randomUserId() }; },
 *   });
 */
import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';

import type { AppError } from '../errors.js';

/** What a handler knows about the call besides its request. */
export interface CallContext {
  /** Fully qualified method path, e.g. /product.ProductService/LikeProduct. */
  method: string;
  metadata: grpc.Metadata;
  peer: string;
  /** Aborted when the client cancels or its deadline passes. */
  signal: AbortSignal;
  /**
   * For a call that carries many items answered one by one (LikeProducts): counts one item's
   * outcome, `undefined` for OK. The call's status says only that the message was taken; the
   * items' own statuses go to the call's log line (`items`) and to `grpc_server_items_total`.
   */
  countItem(error?: AppError): void;
}

export type UnaryHandler<Req, Res> = (request: Req, call: CallContext) => Promise<Res>;

/**
 * A unary handler that can also answer through callbacks, making no promise for the call:
 * the server calls `answer` when a handler has one (anything else, a test or an in-process
 * caller, calls the function). `answer` calls exactly one of `respond` and `fail`, once;
 * what it throws, or gives `fail`, is mapped to a status as a handler's throw is.
 *
 * Only for the hottest paths (applyOnceBatched's, where sixteen callers share one statement
 * and a call is otherwise little more than its promises): on Node 20 every promise runs
 * AsyncLocalStorage's hooks, and a batched like made three per call (see docs/performance.md).
 */
export interface AnsweringUnaryHandler<Req, Res> extends UnaryHandler<Req, Res> {
  answer(request: Req, call: CallContext, respond: (response: Res) => void, fail: (error: unknown) => void): void;
}

/** Whether a unary handler answers through callbacks (AnsweringUnaryHandler). */
export function answersDirectly<Req, Res>(handler: UnaryHandler<Req, Res>): handler is AnsweringUnaryHandler<Req, Res> {
  return typeof (handler as Partial<AnsweringUnaryHandler<Req, Res>>).answer === 'function';
}

/**
 * A server-streaming handler: the messages it yields are the stream, in order. The server
 * pulls the next one only when the client has room for it (no unbounded buffering), ends
 * the call OK when the iterable finishes, and with the error's status when it throws. It
 * must stop waiting when `call.signal` aborts (client cancelled, deadline, or server
 * shutting down): the server then calls its `return()`.
 *
 * @example
 *   async *WatchThings(request, call) {
 *     for await (const change of feed.follow(request.afterSeq, call.signal)) yield change;
 *   }
 */
export type ServerStreamHandler<Req, Res> = (request: Req, call: CallContext) => AsyncIterable<Res>;

/**
 * Where a push stream writes: `write` sends one message and says whether the client still
 * has room (false: stop, and wait for `drained`, which also resolves when the call is over).
 */
export interface StreamSink<Res> {
  write(message: Res): boolean;
  drained(): Promise<void>;
}

/**
 * A stream that can also write its messages straight into the call as they come (the watch
 * streams, watch/follow.ts): a change fanned out to a thousand watchers is then a thousand
 * synchronous writes, not a thousand promise chains. The gRPC server uses `pushTo` (resolving
 * once the stream is done or `call.signal` aborted); other transports iterate it.
 */
export interface PushStream<Res> extends AsyncIterable<Res> {
  pushTo(sink: StreamSink<Res>): Promise<void>;
}

export function isPushStream<Res>(stream: AsyncIterable<Res>): stream is PushStream<Res> {
  return typeof (stream as Partial<PushStream<Res>>).pushTo === 'function';
}

type AnyMethod = MethodDefinition<any, any, any, any>;

/**
 * How `mgrpc codegen` marks a server-streaming method's definition in the stubs: grpc's own
 * MethodDefinition types `responseStream` as a plain boolean, which types cannot branch on.
 */
export interface ServerStreamingMethod {
  responseStream: true;
}

/**
 * The handler type of one method: receives the decoded request, returns the response (or,
 * for a server-streaming method, yields the responses).
 */
export type HandlerOf<M> =
  M extends MethodDefinition<any, infer Res, infer ReqOut, any> ? (M extends ServerStreamingMethod ? ServerStreamHandler<ReqOut, Res> : UnaryHandler<ReqOut, Res>) : never;

/** Either kind of handler, as the server holds them before it looks at the method. */
export type AnyHandler = UnaryHandler<unknown, unknown> | ServerStreamHandler<unknown, unknown>;

/** Handlers for every named method of a definition (grpc's index signature left out). */
export type HandlersOf<D> = { [K in keyof D as string extends K ? never : K]: HandlerOf<D[K]> };

/** Method names of a definition (grpc's index signature left out). */
type MethodNames<D> = keyof HandlersOf<D> & string;

export interface ServiceOptions<D> {
  /**
   * Per method, repeated request fields capped below the server's limit, checked on the wire
   * before the message is decoded (see request-limits.ts): `{ LikeProducts: { likes: 1000 } }`
   * refuses a 1,001st like with INVALID_ARGUMENT naming `likes`, whatever the message's size.
   */
  repeatedCaps?: Partial<Record<MethodNames<D>, Record<string, number>>>;
}

export interface GrpcService<D extends grpc.ServiceDefinition = grpc.ServiceDefinition> {
  definition: D;
  handlers: HandlersOf<D>;
  repeatedCaps?: Partial<Record<string, Record<string, number>>>;
}

export function defineService<D extends grpc.ServiceDefinition>(definition: D, handlers: HandlersOf<D>, options: ServiceOptions<D> = {}): GrpcService<D> {
  for (const [name, method] of Object.entries(definition) as [string, AnyMethod][]) {
    if (typeof (handlers as Record<string, unknown>)[name] !== 'function') {
      throw new Error(`defineService: no handler for ${method.path}; add '${name}' to the handlers object`);
    }
    if (method.requestStream) {
      throw new Error(`defineService: ${method.path} streams requests from the client; only unary and server-streaming RPCs are supported so far`);
    }
  }
  for (const name of Object.keys(handlers)) {
    if (!(name in definition)) {
      throw new Error(`defineService: '${name}' is not a method of this service (methods: ${Object.keys(definition).join(', ')})`);
    }
  }
  for (const name of Object.keys(options.repeatedCaps ?? {})) {
    if (!(name in definition)) throw new Error(`defineService: repeatedCaps names '${name}', which is not a method of this service`);
  }
  return { definition, handlers, repeatedCaps: options.repeatedCaps };
}
