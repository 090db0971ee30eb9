/**
 * The product service: keeps a copy of the dashboard's products (synced over
 * ProductReceiverService) and records likes. Its ports: SERVICE_PORTS in framework/server-process.ts.
 */
import { z } from 'zod';

import { defineServiceModule, ModelResource } from '../framework/index.js';
import { SERVICE_PORTS } from '../framework/server-process.js';
import { createClients } from './clients.js';
import { loadConfig } from './config.js';
import { DASHBOARD_LIKE, deliverLikes } from './like-delivery.js';
import type { ProductContext } from './context.js';
import { likeRecorder } from './like-recorder.js';
import { productReceiverService } from './grpc/product-receiver-service.js';
import { migrations } from './migrations/index.js';
import { defineModels } from './models/index.js';
import { routes } from './rest/routes.js';
import { productSerializer } from './serializers.js';

export default defineServiceModule<ProductContext>({
  name: 'product',
  ports: SERVICE_PORTS.product,
  migrations,
  setup({ sequelize, logger, env, grpcClientSecurity, outbox }) {
    const config = loadConfig(env, grpcClientSecurity);
    const models = defineModels(sequelize);
    const products = new ModelResource({
      name: 'product',
      model: models.Product,
      serializer: productSerializer,
      lookupSchema: z.uuid(),
      ordering: [['createdAt', 'ASC'], ['id', 'ASC']],
    });
    const clients = createClients(config);
    outbox.handleBatch(DASHBOARD_LIKE, deliverLikes(clients, logger));
    return { config, sequelize, logger, models, clients, outbox, products, likes: likeRecorder(sequelize, outbox) };
  },
  grpcServices: (ctx) => [productReceiverService(ctx)],
  restRoutes: (ctx) => routes(ctx),
  peers: (ctx) => [{ name: 'dashboard gRPC', target: ctx.config.dashboardGrpcServer }],
  teardown: (ctx) => {
    ctx.clients.products.close();
    ctx.clients.users.close();
  },
});
