/**
 * The shared service token: every gRPC call between our services carries
 * `authorization: Bearer <MGRPC_SERVICE_TOKEN>`, and every server refuses calls without it
 * (health checks and reflection excepted, so probes need no secret). No token configured
 * means no check: the laptop default, where everything listens on 127.0.0.1.
 *
 * @example
 *   const token = serviceTokenFromEnv(env);          // undefined when auth is off
 *   new grpc.Server({ interceptors: [serviceTokenInterceptor(token)] });
 */
import * as grpc from '@grpc/grpc-js';

import { constantTimeEqual } from './constant-time.js';

export const SERVICE_TOKEN_ENV = 'MGRPC_SERVICE_TOKEN';

/** The one answer to a missing or wrong token; it never says which, nor echoes anything. */
export const INVALID_SERVICE_TOKEN = 'missing or invalid service token';

/** Methods anyone may call: orchestrators probe health without knowing our secret. */
const EXEMPT_PREFIXES = ['/grpc.health.v1.Health/', '/grpc.reflection.'];

export function isExemptFromServiceToken(path: string): boolean {
  return EXEMPT_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * The configured token, or undefined when auth is off. A token gRPC cannot carry in a
 * header fails at start-up, with the fix (the value itself is never printed).
 */
export function serviceTokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const token = env[SERVICE_TOKEN_ENV];
  if (token === undefined || token === '') return undefined;
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new Error(
      `${SERVICE_TOKEN_ENV} must be printable ASCII without spaces (it travels in a gRPC header); generate one with \`openssl rand -hex 32\``,
    );
  }
  return token;
}

/** The bearer credential of an `authorization` value, or undefined for any other form. */
function bearer(value: string): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(value);
  return match?.[1];
}

/** True when `metadata` carries exactly one `authorization: Bearer <token>` (also used by the Connect edge). */
export function presentsToken(metadata: grpc.Metadata, token: string): boolean {
  const values = metadata.get('authorization');
  // Several authorization headers are ambiguous; refuse rather than pick one.
  if (values.length !== 1 || typeof values[0] !== 'string') return false;
  const presented = bearer(values[0]);
  return presented !== undefined && constantTimeEqual(presented, token);
}

/**
 * A grpc-js server interceptor that ends every call without the token with UNAUTHENTICATED
 * before the handler sees it: the metadata, the request message and the half-close are all
 * held back, so the handler never runs.
 */
export function serviceTokenInterceptor(token: string): grpc.ServerInterceptor {
  return (method, call) => {
    if (isExemptFromServiceToken(method.path)) return new grpc.ServerInterceptingCall(call);
    let rejected = false;
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        if (presentsToken(metadata, token)) {
          next(metadata);
          return;
        }
        rejected = true;
        call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: INVALID_SERVICE_TOKEN, metadata: new grpc.Metadata() });
      })
      // grpc-js queues these until the metadata is passed on; dropping them explicitly keeps
      // a rejected call from ever reaching the handler, whatever that queueing does later.
      .withOnReceiveMessage((message, next) => {
        if (!rejected) next(message);
      })
      .withOnReceiveHalfClose((next) => {
        if (!rejected) next();
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/** A copy of `metadata` (or new metadata) that carries the token. */
export function withServiceToken(metadata: grpc.Metadata | undefined, token: string): grpc.Metadata {
  const out = metadata ? metadata.clone() : new grpc.Metadata();
  out.set('authorization', `Bearer ${token}`);
  return out;
}
