/**
 * The __name__ service: __Models__ over REST (/api/__models_path__) and gRPC
 * (__snake__.__Model__Service), on the framework's generic model resource.
 * REST on base+__REST_PORT__ (__REST_PORT_FULL__), gRPC on base+__GRPC_PORT__ (__GRPC_PORT_FULL__).
 */
import { defineServiceModule } from '__framework__';
import { loadConfig } from './config.js';
import type { __Pascal__Context } from './context.js';
import { __model__Resource } from './resource.js';
import { __model__Service } from './grpc/__model_kebab__-service.js';
import { migrations } from './migrations/index.js';
import { defineModels } from './models/index.js';
import { routes } from './rest/routes.js';

export default defineServiceModule<__Pascal__Context>({
  name: '__name__',
  ports: { rest: __REST_PORT__, grpc: __GRPC_PORT__ },
  migrations,
  models: defineModels,
  setup({ sequelize, logger, env }) {
    const config = loadConfig(env);
    const models = defineModels(sequelize);
    return { config, sequelize, logger, models, __models__: __model__Resource(models.__Model__, config) };
  },
  grpcServices: (ctx) => [__model__Service(ctx)],
  restRoutes: (ctx) => routes(ctx),
});
