/**
 * Where `mgrpc call` sends a method when no --addr is given: the server that serves its
 * service, read from the same variables the services use to find each other
 * (DASHBOARD_GRPC_SERVER, PRODUCT_GRPC_SERVER), else their own ports. A service made by
 * `mgrpc startservice` has the package of its name: `orders.OrderService` is served by the
 * `orders` service, at ORDERS_GRPC_SERVER or its own port.
 */
import { localAddress } from '../../services/framework/server-process.js';
import { DEFAULT_BASE_PORT } from '../../services/framework/service-module.js';
import { UsageError } from '../handle-error.js';
import { loadRegistry } from '../project-registry.js';

/** Which server serves each service of protos/. */
const SERVED_BY: Record<string, 'dashboard' | 'product'> = {
  'product.ProductService': 'dashboard',
  'user.UserService': 'dashboard',
  'product_receiver.ProductReceiverService': 'product',
};

/** host:port of the server of `service` (fully qualified), honouring the environment. */
export async function defaultAddress(service: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const server = SERVED_BY[service];
  if (server) return env[`${server.toUpperCase()}_GRPC_SERVER`] || localAddress(server, 'grpc');
  const name = service.split('.')[0];
  const registry = await loadRegistry().catch(() => undefined);
  if (registry?.SERVICE_NAMES.includes(name)) {
    const module = await registry.loadService(name);
    return env[`${name.toUpperCase().replace(/-/g, '_')}_GRPC_SERVER`] || `127.0.0.1:${DEFAULT_BASE_PORT + module.ports.grpc}`;
  }
  throw new UsageError(`no default address for ${service}: pass --addr HOST:PORT`);
}
