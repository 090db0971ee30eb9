import type { Sequelize } from 'sequelize';

import { define__Model__, type __Model__Model } from './__model_kebab__.js';

export { __Model__ } from './__model_kebab__.js';

export type { __Model__Model };

export interface __Pascal__Models {
  __Model__: __Model__Model;
}

export function defineModels(sequelize: Sequelize): __Pascal__Models {
  return { __Model__: define__Model__(sequelize) };
}
