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
import { REQUEST_ID_HEADER, currentRequestId } from '../observability/request-context.js';
import { withServiceToken } from '../security/service-token.js';
import type { ServerStreamingMethod } from './define-service.js';

export interface ClientOptions {
  /** Human name of the upstream, used in error messages ("dashboard gRPC"). */
  name: string;
  /** Deadline of each call (default 5000 ms). */
  deadlineMs?: number;
  /** Plaintext when unset; see `grpcClientSecurity` for TLS from the environment. */
  credentials?: grpc.ChannelCredentials;
  /** Sent as `authorization: Bearer <token>` with every call. */
  serviceToken?: string;
}

export interface CallOptions {
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

/** The unary methods as promises (streaming ones are left out: open them on a grpc-js client). */
export type PromiseClient<D> = {
  [K in keyof D as string extends K ? never : D[K] extends ServerStreamingMethod ? never : K]: D[K] extends MethodDefinition<infer Req, any, any, infer ResOut>
    ? (request: Req, options?: CallOptions) => Promise<ResOut>
    : never;
} & {
  /** The address this client calls. */
  readonly target: string;
  /**
   * The AppError a call failing with this gRPC status would have raised: for statuses a
   * peer reports inside a message (a batch RPC's per-item refusals).
   */
  errorFor(status: grpc.status, details: string): AppError;
  close(): void;
};

/** The peer has no such method (an older or a foreign server): a caller with a fallback uses it. */
export function isUnimplemented(err: unknown): boolean {
  const cause = err instanceof AppError ? err.cause : err;
  return (cause as Partial<grpc.ServiceError> | undefined)?.code === grpc.status.UNIMPLEMENTED;
}

function toAppError(status: grpc.status, details: string, upstream: string, target: string, cause: unknown): AppError {
  const code = codeForGrpcStatus(status);
  if (code === 'UNAVAILABLE') return new AppError('UNAVAILABLE', `${upstream} at ${target} is unavailable`, { cause });
  if (code === 'DEADLINE_EXCEEDED') return new AppError('DEADLINE_EXCEEDED', `${upstream} at ${target} did not answer in time`, { cause });
  // Our own credentials were refused: a deployment mistake, not the REST caller's, so INTERNAL.
  if (code === 'UNAUTHENTICATED') {
    return new AppError('INTERNAL', `${upstream} at ${target} refused this service's credentials (MGRPC_SERVICE_TOKEN must be the same in every service)`, { cause });
  }
  // Validation and lookup failures upstream are the caller's to fix: pass them through.
  if (code === 'INVALID_ARGUMENT' || code === 'NOT_FOUND' || code === 'ALREADY_EXISTS' || code === 'FAILED_PRECONDITION') {
    return new AppError(code, details, { cause });
  }
  return new AppError('INTERNAL', `${upstream} failed: ${details}`, { cause });
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

/**
 * The channels' service config. round_robin keeps a connection to every address the target
 * resolves to (`dns:product_grpc:10006` behind a headless Service or a scaled compose service,
 * `ipv4:127.0.0.1:20006,127.0.0.1:20016` from `mgrpc up --replicas`) and spreads calls over
 * the ready ones; a replica that goes away is skipped, and a call it dropped is retried on
 * another by RETRY_POLICY. For a plain `host:port` with one address it behaves like the default
 * pick_first. An empty name matches every method of every service (gRFC A6 / service config).
 */
export const SERVICE_CONFIG = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [{ name: [{}], retryPolicy: RETRY_POLICY }],
};

// grpc-js backs off up to 120 s between reconnects to a peer that went away; a restarted
// peer of ours (or a replica back from a restart) should be reachable again within about a second.
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.service_config': JSON.stringify(SERVICE_CONFIG),
  // Ours is the whole config: a DNS TXT record must not replace it (and its lookup is a wasted query).
  'grpc.service_config_disable_resolution': 1,
};

// One channel per upstream address per process: clients of several services on the same
// peer (ProductService and UserService on the dashboard) share its connection.
// Channels with other credentials (TLS, another client certificate) are never shared.
const channels = new Map<string, { channel: grpc.Channel; users: number }>();
const credentialIds = new WeakMap<grpc.ChannelCredentials, number>();
let lastCredentialId = 0;

function channelKey(target: string, credentials: grpc.ChannelCredentials | undefined): string {
  if (!credentials) return target;
  let id = credentialIds.get(credentials);
  if (id === undefined) {
    id = ++lastCredentialId;
    credentialIds.set(credentials, id);
  }
  return `${target}#${id}`;
}

function acquireChannel(target: string, credentials: grpc.ChannelCredentials, key: string): { channel: grpc.Channel; release(): void } {
  let entry = channels.get(key);
  if (!entry) {
    entry = { channel: new grpc.Channel(target, credentials, CHANNEL_OPTIONS), users: 0 };
    channels.set(key, entry);
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
        channels.delete(key);
      }
    },
  };
}

/** Adds the current request id (observability/request-context.ts), so the peer's logs name the same request. */
function withRequestId(metadata: grpc.Metadata): grpc.Metadata {
  const requestId = currentRequestId();
  if (requestId === undefined || metadata.get(REQUEST_ID_HEADER).length > 0) return metadata;
  const copy = metadata.clone();
  copy.set(REQUEST_ID_HEADER, requestId);
  return copy;
}

export function createClient<D extends grpc.ServiceDefinition>(definition: D, target: string, options: ClientOptions): PromiseClient<D> {
  const credentials = options.credentials ?? grpc.credentials.createInsecure();
  const { channel, release } = acquireChannel(target, credentials, channelKey(target, options.credentials));
  const client = new grpc.Client(target, credentials, { channelOverride: channel });
  const defaultDeadline = options.deadlineMs ?? 5000;
  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    if (method.requestStream || method.responseStream) continue;
    methods[name] = (request: unknown, callOptions: CallOptions = {}) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + (callOptions.deadlineMs ?? defaultDeadline);
        client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          withRequestId(options.serviceToken ? withServiceToken(callOptions.metadata, options.serviceToken) : (callOptions.metadata ?? new grpc.Metadata())),
          { deadline },
          (err, response) => (err ? reject(toAppError(err.code, err.details, options.name, target, err)) : resolve(response)),
        );
      });
  }
  const errorFor = (status: grpc.status, details: string) => toAppError(status, details, options.name, target, undefined);
  return Object.assign(methods, { target, errorFor, close: release }) as PromiseClient<D>;
}
