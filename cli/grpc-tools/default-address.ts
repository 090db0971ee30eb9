/**
 * Where `mgrpc call` sends a method when no --addr is given: the server that serves its
 * service, read from the same variables the services use to find each other
 * (DASHBOARD_GRPC_SERVER, PRODUCT_GRPC_SERVER), else the tutorial's ports.
 */
import { UsageError } from '../handle-error.js';

const SERVERS = {
  dashboard: { env: 'DASHBOARD_GRPC_SERVER', fallback: '127.0.0.1:10009' },
  product: { env: 'PRODUCT_GRPC_SERVER', fallback: '127.0.0.1:10006' },
} as const;

/** Which server serves each service of protos/. */
const SERVED_BY: Record<string, keyof typeof SERVERS> = {
  'product.ProductService': 'dashboard',
  'user.UserService': 'dashboard',
  'product_receiver.ProductReceiverService': 'product',
};

/** host:port of the server of `service` (fully qualified), honouring the environment. */
export function defaultAddress(service: string, env: NodeJS.ProcessEnv = process.env): string {
  const server = SERVED_BY[service];
  if (!server) throw new UsageError(`no default address for ${service}: pass --addr HOST:PORT`);
  return env[SERVERS[server].env] || SERVERS[server].fallback;
}
