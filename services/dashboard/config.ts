/** The dashboard's settings, read from the environment once at start-up. */
import { envInt, type GrpcClientSecurity } from '../framework/index.js';
import { localAddress } from '../framework/server-process.js';

export interface DashboardConfig {
  /** The product service's gRPC server (the tutorial's PRODUCT_GRPC_SERVER). */
  productGrpcServer: string;
  /** Deadline of each call to the product service. */
  grpcDeadlineMs: number;
  /** How long a product write waits for its copy on the product service before answering anyway. */
  syncWaitMs: number;
  /** TLS and service token of outbound gRPC calls (MGRPC_TLS_*, MGRPC_SERVICE_TOKEN). */
  grpcSecurity: GrpcClientSecurity;
}

/** `grpcSecurity` is the runtime's (SetupArgs.grpcClientSecurity): certificates are read once per process. */
export function loadConfig(env: NodeJS.ProcessEnv, grpcSecurity: GrpcClientSecurity): DashboardConfig {
  return {
    productGrpcServer: env.PRODUCT_GRPC_SERVER || localAddress('product', 'grpc'),
    grpcDeadlineMs: envInt('GRPC_DEADLINE_MS', 5000, env),
    syncWaitMs: envInt('MGRPC_SYNC_WAIT_MS', 2000, env),
    grpcSecurity,
  };
}
