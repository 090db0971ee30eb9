/**
 * The dashboard service: owns products (with their like counts) and users.
 * Its ports: SERVICE_PORTS in framework/server-process.ts.
 */
import { defineServiceModule, logCounterIncreases } from '../framework/index.js';
import { SERVICE_PORTS } from '../framework/server-process.js';
import { createClients } from './clients.js';
import { loadConfig } from './config.js';
import type { DashboardContext } from './context.js';
import { productService } from './grpc/product-service.js';
import { userService } from './grpc/user-service.js';
import { migrations } from './migrations/index.js';
import { defineModels } from './models/index.js';
import { ProductResource } from './resource.js';
import { routes } from './rest/routes.js';
import { productSerializer } from './serializers.js';
import { productCopies } from './sync/product-copies.js';

export default defineServiceModule<DashboardContext>({
  name: 'dashboard',
  ports: SERVICE_PORTS.dashboard,
  migrations,
  models: defineModels,
  async setup({ sequelize, logger, env, grpcClientSecurity, outbox }) {
    const config = loadConfig(env, grpcClientSecurity);
    const models = defineModels(sequelize);
    const clients = createClients(config);
    const products = new ProductResource(models.Product, outbox, productCopies(outbox, clients.productReceiver), config.syncWaitMs);
    const likesLogged = await logCounterIncreases({ sequelize, model: models.Product, serializer: productSerializer, topic: products.name, counter: 'likes', key: products.lookupField });
    return { config, sequelize, logger, models, clients, outbox, products, likesLogged };
  },
  grpcServices: (ctx) => [productService(ctx), userService(ctx)],
  restRoutes: (ctx) => routes(ctx),
  peers: (ctx) => [{ name: 'product gRPC', target: ctx.config.productGrpcServer }],
  teardown: (ctx) => ctx.clients.productReceiver.close(),
});
