/** The dashboard's one client of the product service, created once per process. */
import { createClient, type PromiseClient } from '../framework/index.js';
import { proto } from '../stubs/index.js';
import type { DashboardConfig } from './config.js';

export type ProductReceiverClient = PromiseClient<typeof proto.product_receiver.ProductReceiverService.service>;

export function createClients(config: DashboardConfig): { productReceiver: ProductReceiverClient } {
  return {
    productReceiver: createClient(proto.product_receiver.ProductReceiverService.service, config.productGrpcServer, {
      name: 'product gRPC',
      deadlineMs: config.grpcDeadlineMs,
      ...config.grpcSecurity,
    }),
  };
}
