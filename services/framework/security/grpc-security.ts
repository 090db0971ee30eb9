/**
 * What a gRPC server or client needs from the environment to be secure, read once at
 * start-up: its credentials (plaintext, TLS or mutual TLS; see tls.ts) and the service token
 * (see service-token.ts). Spread into `startGrpcServer` / `createClient` options.
 *
 * @example
 *   createClient(definition, target, { name: 'product gRPC', ...grpcClientSecurity(env) });
 */
import type * as grpc from '@grpc/grpc-js';

import { serviceTokenFromEnv } from './service-token.js';
import { grpcChannelCredentials, grpcServerCredentials, tlsSettings } from './tls.js';

export interface GrpcServerSecurity {
  credentials: grpc.ServerCredentials;
  /** Calls must carry it; undefined turns the check off. */
  serviceToken?: string;
}

export interface GrpcClientSecurity {
  credentials: grpc.ChannelCredentials;
  /** Sent with every call; undefined sends none. */
  serviceToken?: string;
}

export function grpcServerSecurity(env: NodeJS.ProcessEnv): GrpcServerSecurity {
  return { credentials: grpcServerCredentials(tlsSettings(env)), serviceToken: serviceTokenFromEnv(env) };
}

export function grpcClientSecurity(env: NodeJS.ProcessEnv): GrpcClientSecurity {
  return { credentials: grpcChannelCredentials(tlsSettings(env)), serviceToken: serviceTokenFromEnv(env) };
}
