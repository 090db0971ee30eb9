/** The dashboard's settings, read from the environment once at start-up. */
import { peerSettings, type GrpcClientSecurity, type PeerSettings } from '../framework/index.js';
import { localAddress } from '../framework/server-process.js';

export interface DashboardConfig extends PeerSettings {
  /** The product service's gRPC server (the tutorial's PRODUCT_GRPC_SERVER). */
  productGrpcServer: string;
}

/** `grpcSecurity` is the runtime's (SetupArgs.grpcClientSecurity): certificates are read once per process. */
export function loadConfig(env: NodeJS.ProcessEnv, grpcSecurity: GrpcClientSecurity): DashboardConfig {
  return { productGrpcServer: env.PRODUCT_GRPC_SERVER || localAddress('product', 'grpc'), ...peerSettings(env, grpcSecurity) };
}
