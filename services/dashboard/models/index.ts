import type { Sequelize } from 'sequelize';

import { defineProduct, type ProductModel } from './product.js';
import { defineUser, type UserModel } from './user.js';

export { Product } from './product.js';
export { User } from './user.js';

export type { ProductModel, UserModel };

export interface DashboardModels {
  Product: ProductModel;
  User: UserModel;
}

export function defineModels(sequelize: Sequelize): DashboardModels {
  return { Product: defineProduct(sequelize), User: defineUser(sequelize) };
}
