/**
 * One line that tells an operator what protects the system, for `mgrpc up`. It names the
 * variables, never their values.
 *
 * @example
 *   securitySummary(process.env, '127.0.0.1')
 *   // "auth: off — no MGRPC_SERVICE_TOKEN set (fine on 127.0.0.1; set one before exposing ports)"
 */
import { API_KEY_ENV, apiKeyFromEnv } from './api-key.js';
import { SERVICE_TOKEN_ENV, serviceTokenFromEnv } from './service-token.js';
import { tlsSettings } from './tls.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function securitySummary(env: NodeJS.ProcessEnv, host: string): string {
  const token = serviceTokenFromEnv(env);
  const apiKey = apiKeyFromEnv(env);
  const tls = tlsSettings(env);
  const transport = tls.identity ? (tls.requireClientCert ? 'gRPC over mutual TLS' : 'gRPC over TLS') : 'gRPC in plaintext';
  const rest = apiKey ? `REST ${apiKey.protectReads ? 'reads and writes' : 'writes'} need ${API_KEY_ENV}` : `REST open (no ${API_KEY_ENV})`;
  if (!token) {
    const exposure = LOOPBACK.test(host)
      ? `fine on ${host}; set one before exposing ports`
      : `WARNING: listening on ${host}, anyone who reaches these ports can call them; set one`;
    return `auth: off — no ${SERVICE_TOKEN_ENV} set (${exposure}); ${rest}; ${transport}`;
  }
  return `auth: on — gRPC calls need ${SERVICE_TOKEN_ENV}; ${rest}; ${transport}`;
}
