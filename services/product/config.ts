/** The product service's settings, read from the environment once at start-up. */
import { peerSettings, type GrpcClientSecurity, type PeerSettings } from '../framework/index.js';
import { localAddress } from '../framework/server-process.js';

export interface ProductConfig extends PeerSettings {
  /** The dashboard's gRPC server (the tutorial's DASHBOARD_GRPC_SERVER). */
  dashboardGrpcServer: string;
}

/** `grpcSecurity` is the runtime's (SetupArgs.grpcClientSecurity): certificates are read once per process. */
export function loadConfig(env: NodeJS.ProcessEnv, grpcSecurity: GrpcClientSecurity): ProductConfig {
  return { dashboardGrpcServer: env.DASHBOARD_GRPC_SERVER || localAddress('dashboard', 'grpc'), ...peerSettings(env, grpcSecurity) };
}
