/**
 * Asks peers "are you serving?" over grpc.health.v1 for /readyz. One long-lived channel per
 * peer, made when the REST side starts; unlike the service's own clients it does not retry,
 * so a peer that is down is reported at once instead of after the retry budget.
 */
import * as grpc from '@grpc/grpc-js';

import { healthService } from './grpc-health.js';

/** A gRPC server this service depends on, as named in messages ("product gRPC"). */
export interface Peer {
  name: string;
  /** host:port */
  target: string;
}

export interface PeerHealth {
  /** "ok", or what is wrong ("unavailable: …", "not serving", "no answer within 1000 ms"). */
  check(peer: Peer, timeoutMs: number): Promise<string>;
  close(): void;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.enable_retries': 0,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
};

/** grpc.health.v1.Health/Check: `{service}` in, `{status}` out. */
type CheckMethod = grpc.MethodDefinition<{ service: string }, { status?: string }>;

export function createPeerHealth(credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()): PeerHealth {
  const clients = new Map<string, grpc.Client>();
  return {
    check(peer, timeoutMs) {
      // Looked up here, not when created: the health library loads on first use (grpc-health.ts).
      const method = healthService().Check as CheckMethod;
      let client = clients.get(peer.target);
      if (!client) {
        client = new grpc.Client(peer.target, credentials, CHANNEL_OPTIONS);
        clients.set(peer.target, client);
      }
      return new Promise((resolve) => {
        client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          { service: '' },
          new grpc.Metadata(),
          { deadline: Date.now() + timeoutMs },
          (err, response: { status?: string } | undefined) => {
            if (!err) resolve(response?.status === 'SERVING' ? 'ok' : `not serving (${response?.status ?? 'no status'})`);
            else if (err.code === grpc.status.DEADLINE_EXCEEDED) resolve(`unavailable: no answer from ${peer.target} within ${timeoutMs} ms`);
            else if (err.code === grpc.status.UNAVAILABLE) resolve(`unavailable: cannot reach ${peer.target} (${reasonOf(err.details)})`);
            else resolve(`unhealthy: ${peer.target} answered ${grpc.status[err.code]}: ${err.details}`);
          },
        );
      });
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

/**
 * grpc-js's details, readable: "No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:10009. Resolution note: " says "connection refused".
 */
function reasonOf(details: string): string {
  const code = /\b(E[A-Z_]+)\b/.exec(details)?.[1];
  if (code && NETWORK_REASONS[code]) return NETWORK_REASONS[code];
  return details.replace(/\s*Resolution note:\s*$/, '').slice(0, 200) || 'no connection';
}
