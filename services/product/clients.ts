/** The product service's clients of the dashboard: two services, one channel, created once. */
import { createClient, type PromiseClient } from '../framework/index.js';
import { proto } from '../stubs/index.js';
import type { ProductConfig } from './config.js';

export interface ProductClients {
  products: PromiseClient<typeof proto.product.ProductService.service>;
  users: PromiseClient<typeof proto.user.UserService.service>;
}

export function createClients(config: ProductConfig): ProductClients {
  const options = { name: 'dashboard gRPC', deadlineMs: config.grpcDeadlineMs, ...config.grpcSecurity };
  return {
    products: createClient(proto.product.ProductService.service, config.dashboardGrpcServer, options),
    users: createClient(proto.user.UserService.service, config.dashboardGrpcServer, options),
  };
}
