/**
 * The product service: keeps a copy of the dashboard's products (synced over
 * ProductReceiverService) and records likes. Its ports: SERVICE_PORTS in framework/server-process.ts.
 */
import { defineServiceModule } from '../framework/index.js';
import { SERVICE_PORTS } from '../framework/server-process.js';
import { createClients } from './clients.js';
import { loadConfig } from './config.js';
import type { ProductContext } from './context.js';
import { productReceiverService } from './grpc/product-receiver-service.js';
import { likeRecorder } from './likes.js';
import { migrations } from './migrations/index.js';
import { defineModels } from './models/index.js';
import { productCopies } from './resource.js';
import { routes } from './rest/routes.js';
import { dashboardLikes } from './sync/dashboard-likes.js';

export default defineServiceModule<ProductContext>({
  name: 'product',
  ports: SERVICE_PORTS.product,
  migrations,
  models: defineModels,
  setup({ sequelize, logger, env, grpcClientSecurity, outbox }) {
    const config = loadConfig(env, grpcClientSecurity);
    const models = defineModels(sequelize);
    const clients = createClients(config);
    const likes = likeRecorder(sequelize, dashboardLikes(outbox, clients, logger));
    return { config, sequelize, logger, models, clients, outbox, products: productCopies(models), likes };
  },
  grpcServices: (ctx) => [productReceiverService(ctx)],
  restRoutes: (ctx) => routes(ctx),
  peers: (ctx) => [{ name: 'dashboard gRPC', target: ctx.config.dashboardGrpcServer }],
  teardown: (ctx) => {
    ctx.clients.products.close();
    ctx.clients.users.close();
  },
});
