/**
 * Where `mgrpc call` sends a method when no --addr is given: the server that serves its
 * service, from the variable the services use to find each other (DASHBOARD_GRPC_SERVER,
 * PRODUCT_GRPC_SERVER), else the running `mgrpc up` of this project (cli/context), else its
 * own port. A service made by `mgrpc startservice` has the package of its name:
 * `orders.OrderService` is served by the `orders` service.
 */
import { localAddress } from '../../services/framework/server-process.js';
import { DEFAULT_BASE_PORT } from '../../services/framework/service-module.js';
import { grpcTarget, type Resolved } from '../context/resolve.js';
import { UsageError } from '../handle-error.js';
import { loadRegistry, projectRegistryPath } from '../project-registry.js';

/** Which server serves each service of mgrpc's own protos/. */
const SERVED_BY: Record<string, 'dashboard' | 'product'> = {
  'product.ProductService': 'dashboard',
  'user.UserService': 'dashboard',
  'product_receiver.ProductReceiverService': 'product',
};

/** host:port of the server of `service` (fully qualified) and where that came from. */
export async function defaultAddress(service: string, env: NodeJS.ProcessEnv = process.env): Promise<Resolved> {
  const server = SERVED_BY[service];
  // In a project of its own, these names are the project's business.
  if (server && !projectRegistryPath()) return grpcTarget(server, localAddress(server, 'grpc'), env);
  const registry = await loadRegistry().catch(() => undefined);
  const name = service.split('.')[0]!;
  if (registry?.SERVICE_NAMES.includes(name)) {
    const module = await registry.loadService(name);
    return grpcTarget(name, `127.0.0.1:${DEFAULT_BASE_PORT + module.ports.grpc}`, env);
  }
  throw new UsageError(`no default address for ${service}: pass --addr HOST:PORT`);
}
