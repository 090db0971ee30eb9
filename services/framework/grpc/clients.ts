/**
 * Promise clients for other services. One client (one channel) per upstream per
 * process, created at boot; every call carries a deadline; failures become AppErrors
 * that name the upstream, so "the dashboard is down" reads as such at the REST edge.
 *
 * @example
 *   const dashboard = createClient(proto.product.ProductService.service, env.DASHBOARD_GRPC_SERVER,
 *     { name: 'dashboard gRPC' });
 *   const { product } = await dashboard.LikeProduct({ id });
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';

import { AppError, codeForGrpcStatus } from '../errors.js';

export interface ClientOptions {
  /** Human name of the upstream, used in error messages ("dashboard gRPC"). */
  name: string;
  /** Deadline of each call (default 5000 ms). */
  deadlineMs?: number;
  credentials?: grpc.ChannelCredentials;
}

export interface CallOptions {
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

export type PromiseClient<D> = {
  [K in keyof D as string extends K ? never : K]: D[K] extends MethodDefinition<infer Req, any, any, infer ResOut> ? (request: Req, options?: CallOptions) => Promise<ResOut> : never;
} & {
  /** The address this client calls. */
  readonly target: string;
  close(): void;
};

function toAppError(err: grpc.ServiceError, upstream: string, target: string): AppError {
  const code = codeForGrpcStatus(err.code);
  if (code === 'UNAVAILABLE') return new AppError('UNAVAILABLE', `${upstream} at ${target} is unavailable`, { cause: err });
  if (code === 'DEADLINE_EXCEEDED') return new AppError('DEADLINE_EXCEEDED', `${upstream} at ${target} did not answer in time`, { cause: err });
  // Validation and lookup failures upstream are the caller's to fix: pass them through.
  if (code === 'INVALID_ARGUMENT' || code === 'NOT_FOUND' || code === 'ALREADY_EXISTS' || code === 'FAILED_PRECONDITION') {
    return new AppError(code, err.details, { cause: err });
  }
  return new AppError('INTERNAL', `${upstream} failed: ${err.details}`, { cause: err });
}

/**
 * UNAVAILABLE (peer down, restarting or draining) is retried by grpc-js itself (gRFC A6,
 * on by default since grpc-js 1.10): up to 5 attempts, waits of 0.1, 0.2, 0.4, 0.8 s (±20%),
 * all within the call's deadline. A peer back within ~1.5 s is reached; one that stays
 * down fails with UNAVAILABLE after that, not after the full deadline. Other codes are
 * never retried: they mean the peer did see the request.
 */
export const RETRY_POLICY = {
  maxAttempts: 5,
  initialBackoff: '0.1s',
  maxBackoff: '1s',
  backoffMultiplier: 2,
  retryableStatusCodes: ['UNAVAILABLE'],
};

// grpc-js backs off up to 120 s between reconnects to a peer that went away; a restarted
// peer of ours should be reachable again within about a second.
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 30_000,
  // An empty name matches every method of every service (gRFC A6 / service config).
  'grpc.service_config': JSON.stringify({ methodConfig: [{ name: [{}], retryPolicy: RETRY_POLICY }] }),
};

// One channel per upstream address per process: clients of several services on the same
// peer (ProductService and UserService on the dashboard) share its connection.
const channels = new Map<string, { channel: grpc.Channel; users: number }>();

function acquireChannel(target: string, credentials: grpc.ChannelCredentials): { channel: grpc.Channel; release(): void } {
  let entry = channels.get(target);
  if (!entry) {
    entry = { channel: new grpc.Channel(target, credentials, CHANNEL_OPTIONS), users: 0 };
    channels.set(target, entry);
  }
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    channel: held.channel,
    release() {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0) {
        held.channel.close();
        channels.delete(target);
      }
    },
  };
}

export function createClient<D extends grpc.ServiceDefinition>(definition: D, target: string, options: ClientOptions): PromiseClient<D> {
  const credentials = options.credentials ?? grpc.credentials.createInsecure();
  const { channel, release } = acquireChannel(target, credentials);
  const client = new grpc.Client(target, credentials, { channelOverride: channel });
  const defaultDeadline = options.deadlineMs ?? 5000;
  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    methods[name] = (request: unknown, callOptions: CallOptions = {}) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + (callOptions.deadlineMs ?? defaultDeadline);
        client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          callOptions.metadata ?? new grpc.Metadata(),
          { deadline },
          (err, response) => (err ? reject(toAppError(err, options.name, target)) : resolve(response)),
        );
      });
  }
  return Object.assign(methods, { target, close: release }) as PromiseClient<D>;
}
