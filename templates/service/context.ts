import type { Sequelize } from 'sequelize';

import type { Logger, ModelResource } from '__framework__';
import type { __Pascal__Config } from './config.js';
import type { __Model__, __Pascal__Models } from './models/index.js';

/** Everything the __name__ service's handlers use, built once per process by setup(). */
export interface __Pascal__Context {
  config: __Pascal__Config;
  sequelize: Sequelize;
  logger: Logger;
  models: __Pascal__Models;
  __models__: ModelResource<__Model__>;
}
