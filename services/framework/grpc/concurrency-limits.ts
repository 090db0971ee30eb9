/**
 * How many calls one gRPC server holds at once, so no client, alone or in a crowd, can make
 * it keep unbounded state:
 *
 * - `maxStreamsPerConnection`: HTTP/2 streams one connection may have open (sent to the
 *   client in SETTINGS; grpc-js's default is unlimited);
 * - `maxCalls`: calls in progress across all connections; the next one is answered
 *   RESOURCE_EXHAUSTED before its message is read;
 * - `maxWatchStreams` / `maxWatchStreamsPerConnection`: long-lived streams (health Watch,
 *   reflection), which a client can hold open for free and would otherwise accumulate;
 * - `maxServerStreams` / `maxServerStreamsPerConnection`: the services' own server-streaming
 *   calls (WatchProducts and the like), counted apart from `maxCalls` so a crowd of watchers
 *   cannot starve unary calls, nor the reverse.
 */
import * as grpc from '@grpc/grpc-js';

export interface ConcurrencyLimits {
  maxStreamsPerConnection: number;
  maxCalls: number;
  maxWatchStreams: number;
  maxWatchStreamsPerConnection: number;
  maxServerStreams: number;
  maxServerStreamsPerConnection: number;
}

export const DEFAULT_CONCURRENCY_LIMITS: ConcurrencyLimits = {
  maxStreamsPerConnection: 100,
  maxCalls: 1000,
  maxWatchStreams: 100,
  maxWatchStreamsPerConnection: 10,
  maxServerStreams: 2000,
  // HTTP/2 caps a connection at maxStreamsPerConnection anyway; this leaves room for unary calls.
  maxServerStreamsPerConnection: 90,
};

/**
 * A grpc-js server interceptor that refuses calls beyond `maxCalls` in progress. Calls that
 * stream responses are left to their own limiters (watchStreamLimiter), since they stay open.
 */
export function callLimitInterceptor(maxCalls: number): grpc.ServerInterceptor {
  let active = 0;
  return (method, call) => {
    if (method.responseStream) return new grpc.ServerInterceptingCall(call);
    let admitted = false;
    let released = false;
    const release = () => {
      if (admitted && !released) {
        released = true;
        active--;
      }
    };
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        if (active >= maxCalls) {
          call.sendStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: `server busy: ${maxCalls} calls in progress; retry with backoff`, metadata: new grpc.Metadata() });
          return;
        }
        admitted = true;
        active++;
        next(metadata);
      })
      .withOnReceiveMessage((message, next) => {
        if (admitted) next(message);
      })
      .withOnReceiveHalfClose((next) => {
        if (admitted) next();
      })
      .withOnCancel(release)
      .build();
    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        release();
        next(status);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}

type StreamCall = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** Counts open long-lived streams per server and per connection (the call's peer address). */
export function watchStreamLimiter(limits: Pick<ConcurrencyLimits, 'maxWatchStreams' | 'maxWatchStreamsPerConnection'>) {
  let open = 0;
  const perPeer = new Map<string, number>();
  return {
    /** Counts `call` until it ends; false (and the call ended RESOURCE_EXHAUSTED) when over a limit. */
    admit(call: StreamCall): boolean {
      const peer = call.getPeer();
      const mine = perPeer.get(peer) ?? 0;
      const problem =
        open >= limits.maxWatchStreams
          ? `server has ${limits.maxWatchStreams} streams open`
          : mine >= limits.maxWatchStreamsPerConnection
            ? `this connection has ${limits.maxWatchStreamsPerConnection} streams open`
            : undefined;
      if (problem) {
        call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: `${problem}; close one first` });
        return false;
      }
      open++;
      perPeer.set(peer, mine + 1);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        open--;
        const left = (perPeer.get(peer) ?? 1) - 1;
        if (left === 0) perPeer.delete(peer);
        else perPeer.set(peer, left);
      };
      call.once('cancelled', close);
      call.once('finish', close);
      call.once('close', close);
      return true;
    },
    get open() {
      return open;
    },
  };
}

export type WatchStreamLimiter = ReturnType<typeof watchStreamLimiter>;
