import type { Sequelize } from 'sequelize';

import type { Logger, Outbox } from '../framework/index.js';
import type { createClients } from './clients.js';
import type { DashboardConfig } from './config.js';
import type { DashboardModels } from './models/index.js';
import type { ProductResource } from './resource.js';

/** Everything the dashboard's handlers use, built once per process by setup(). */
export interface DashboardContext {
  config: DashboardConfig;
  sequelize: Sequelize;
  logger: Logger;
  models: DashboardModels;
  clients: ReturnType<typeof createClients>;
  outbox: Outbox;
  products: ProductResource;
  /** The database writes the change log's rows of each like (SQLite: framework/watch/counter-log.ts); the like path records them itself otherwise. */
  likesLogged: boolean;
}
