/**
 * Environment handling shared by every service: `.env` loading and address parsing.
 * Each service parses its own settings once, in its `config.ts`.
 */
import { existsSync } from 'node:fs';

import type { GrpcClientSecurity } from './security/grpc-security.js';

/** Reads `.env` from the working directory if present; real environment variables win. */
export function loadDotenv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses a listen address the way Django's runserver does: `PORT`, `HOST:PORT`, `[V6]:PORT`
 * or nothing. Throws a message that shows the accepted forms.
 */
export function parseListenAddress(value: string | undefined, fallback: ListenAddress): ListenAddress {
  if (value === undefined || value === '') return fallback;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid address '${value}': expected PORT, HOST:PORT or [IPV6]:PORT (for example 127.0.0.1:10008)`);
  }
  return { host: match[1] || match[2] || fallback.host, port };
}

export function formatAddress({ host, port }: ListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A positive integer from the environment, or the fallback; a bad value fails at start-up. */
export function envInt(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

/**
 * What every service that calls a peer service reads the same way: its deadline, how long a
 * write waits for its delivery before answering anyway, and the runtime's TLS and token for
 * outbound calls. A service's config adds its peers' addresses.
 *
 * @example
 *   export function loadConfig(env, grpcSecurity) {
 *     return { productGrpcServer: env.PRODUCT_GRPC_SERVER || localAddress('product', 'grpc'), ...peerSettings(env, grpcSecurity) };
 *   }
 */
export interface PeerSettings {
  /** Deadline of each call to a peer (GRPC_DEADLINE_MS, default 5000). */
  grpcDeadlineMs: number;
  /** How long a write waits for its delivery to the peer before answering anyway (MGRPC_SYNC_WAIT_MS, default 2000). */
  syncWaitMs: number;
  /** TLS and service token of outbound gRPC calls (MGRPC_TLS_*, MGRPC_SERVICE_TOKEN): the runtime's, read once per process. */
  grpcSecurity: GrpcClientSecurity;
}

export function peerSettings(env: NodeJS.ProcessEnv, grpcSecurity: GrpcClientSecurity): PeerSettings {
  return { grpcDeadlineMs: envInt('GRPC_DEADLINE_MS', 5000, env), syncWaitMs: envInt('MGRPC_SYNC_WAIT_MS', 2000, env), grpcSecurity };
}
