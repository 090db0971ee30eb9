import type { Sequelize } from 'sequelize';

import type { Logger, Outbox } from '../framework/index.js';
import type { ProductClients } from './clients.js';
import type { ProductConfig } from './config.js';
import type { LikeRecorder } from './likes.js';
import type { ProductModels } from './models/index.js';
import type { ProductCopies } from './resource.js';

/** Everything the product service's handlers use, built once per process by setup(). */
export interface ProductContext {
  config: ProductConfig;
  sequelize: Sequelize;
  logger: Logger;
  models: ProductModels;
  clients: ProductClients;
  outbox: Outbox;
  products: ProductCopies;
  /** Records a like and queues its delivery (batched with concurrent likes). */
  likes: LikeRecorder;
}
