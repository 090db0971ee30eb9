/**
 * The dashboard service: owns products (with their like counts) and users.
 * Its ports: SERVICE_PORTS in framework/server-process.ts.
 */
import { defineServiceModule } from '../framework/index.js';
import { SERVICE_PORTS } from '../framework/server-process.js';
import { createClients } from './clients.js';
import { loadConfig } from './config.js';
import type { DashboardContext } from './context.js';
import { productService } from './grpc/product-service.js';
import { userService } from './grpc/user-service.js';
import { migrations } from './migrations/index.js';
import { defineModels } from './models/index.js';
import { ProductResource } from './product-resource.js';
import { deliverProductChange, PRODUCT_SYNC } from './product-sync.js';
import { routes } from './rest/routes.js';

export default defineServiceModule<DashboardContext>({
  name: 'dashboard',
  ports: SERVICE_PORTS.dashboard,
  migrations,
  setup({ sequelize, logger, env, grpcClientSecurity, outbox }) {
    const config = loadConfig(env, grpcClientSecurity);
    const models = defineModels(sequelize);
    const clients = createClients(config);
    outbox.handle(PRODUCT_SYNC, deliverProductChange(clients.productReceiver));
    return { config, sequelize, logger, models, clients, outbox, products: new ProductResource(models.Product, outbox, config.syncWaitMs) };
  },
  grpcServices: (ctx) => [productService(ctx), userService(ctx)],
  restRoutes: (ctx) => routes(ctx),
  peers: (ctx) => [{ name: 'product gRPC', target: ctx.config.productGrpcServer }],
  teardown: (ctx) => ctx.clients.productReceiver.close(),
});
