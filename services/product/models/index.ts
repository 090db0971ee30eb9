import type { Sequelize } from 'sequelize';

import { defineProduct, type ProductModel } from './product.js';
import { defineProductUser, type ProductUserModel } from './product-user.js';

export { Product } from './product.js';
export { ProductUser } from './product-user.js';

export type { ProductModel, ProductUserModel };

export interface ProductModels {
  Product: ProductModel;
  ProductUser: ProductUserModel;
}

export function defineModels(sequelize: Sequelize): ProductModels {
  return { Product: defineProduct(sequelize), ProductUser: defineProductUser(sequelize) };
}
