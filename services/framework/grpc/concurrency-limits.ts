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
 * grpc-js runs it as a call's headers arrive, so a call over the limit is refused before its
 * message is read. An admitted call is counted until its status is sent or it is cancelled,
 * through a pass-through of its own (CountedCall): grpc-js's ServerInterceptingCall would put a
 * listener and a responder, with their closures and bookkeeping, on every event of every call
 * (4-6% of a LikeProduct's CPU, docs/performance.md).
 */
export function callLimitInterceptor(maxCalls: number): grpc.ServerInterceptor {
  const count = { active: 0 };
  return (method, call) => {
    if (method.responseStream) return new grpc.ServerInterceptingCall(call);
    if (count.active >= maxCalls) return refused(call, maxCalls);
    count.active++;
    return new CountedCall(call, count);
  };
}

/** What a call refused by the call limit is told, on gRPC and on the Connect edge alike. */
export function serverBusy(maxCalls: number): string {
  return `server busy: ${maxCalls} calls in progress; retry with backoff`;
}

/** A call over the limit: answered RESOURCE_EXHAUSTED once its headers are in, its message never read. */
function refused(call: grpc.ServerInterceptingCallInterface, maxCalls: number): grpc.ServerInterceptingCall {
  const listener = new grpc.ServerListenerBuilder()
    .withOnReceiveMetadata(() => {
      call.sendStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: serverBusy(maxCalls), metadata: new grpc.Metadata() });
    })
    .withOnReceiveMessage(() => undefined)
    .withOnReceiveHalfClose(() => undefined)
    .build();
  return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
}

type Listener = Parameters<grpc.ServerInterceptingCallInterface['start']>[0];
type Status = Parameters<grpc.ServerInterceptingCallInterface['sendStatus']>[0];

/**
 * An admitted call: every event passes straight through, and the count drops once, when the
 * status is sent or the call is cancelled. It is its own listener on the call below it (one
 * object per call, no closures). A ServerInterceptingCall by type, as grpc-js's interceptors
 * must return, with every method its own.
 */
class CountedCall extends grpc.ServerInterceptingCall {
  private listener: Listener | undefined;
  private counted = true;

  constructor(
    private readonly below: grpc.ServerInterceptingCallInterface,
    private readonly count: { active: number },
  ) {
    super(below);
  }

  private release(): void {
    if (!this.counted) return;
    this.counted = false;
    this.count.active--;
  }

  override start(listener: Listener): void {
    this.listener = listener;
    this.below.start(this);
  }

  onReceiveMetadata(metadata: grpc.Metadata): void {
    this.listener!.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.listener!.onReceiveMessage(message);
  }

  onReceiveHalfClose(): void {
    this.listener!.onReceiveHalfClose();
  }

  onCancel(): void {
    this.release();
    this.listener!.onCancel();
  }

  override sendMetadata(metadata: grpc.Metadata): void {
    this.below.sendMetadata(metadata);
  }

  override sendMessage(message: unknown, callback: () => void): void {
    this.below.sendMessage(message, callback);
  }

  override sendStatus(status: Status): void {
    this.release();
    this.below.sendStatus(status);
  }

  override startRead(): void {
    this.below.startRead();
  }

  override getPeer(): string {
    return this.below.getPeer();
  }

  override getDeadline(): grpc.Deadline {
    return this.below.getDeadline();
  }

  override getHost(): string {
    return this.below.getHost();
  }

  override getAuthContext(): ReturnType<grpc.ServerInterceptingCallInterface['getAuthContext']> {
    return this.below.getAuthContext();
  }

  override getConnectionInfo(): ReturnType<grpc.ServerInterceptingCallInterface['getConnectionInfo']> {
    return this.below.getConnectionInfo();
  }

  override getMetricsRecorder(): ReturnType<grpc.ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.below.getMetricsRecorder();
  }
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
