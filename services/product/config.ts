/** The product service's settings, read from the environment once at start-up. */
import { envInt, type GrpcClientSecurity } from '../framework/index.js';
import { localAddress } from '../framework/server-process.js';

export interface ProductConfig {
  /** The dashboard's gRPC server (the tutorial's DASHBOARD_GRPC_SERVER). */
  dashboardGrpcServer: string;
  /** Deadline of each call to the dashboard. */
  grpcDeadlineMs: number;
  /** How long a like waits to be counted on the dashboard before answering 202 (pending). */
  syncWaitMs: number;
  /** TLS and service token of outbound gRPC calls (MGRPC_TLS_*, MGRPC_SERVICE_TOKEN). */
  grpcSecurity: GrpcClientSecurity;
}

/** `grpcSecurity` is the runtime's (SetupArgs.grpcClientSecurity): certificates are read once per process. */
export function loadConfig(env: NodeJS.ProcessEnv, grpcSecurity: GrpcClientSecurity): ProductConfig {
  return {
    dashboardGrpcServer: env.DASHBOARD_GRPC_SERVER || localAddress('dashboard', 'grpc'),
    grpcDeadlineMs: envInt('GRPC_DEADLINE_MS', 5000, env),
    syncWaitMs: envInt('MGRPC_SYNC_WAIT_MS', 2000, env),
    grpcSecurity,
  };
}
