import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

import { PRODUCT_LIMITS } from '../../contracts/product.js';

/**
 * The product service's copy of a dashboard product. Its primary key IS the dashboard's
 * product id (carried as `product_id` in ProductReceiver): one id across both services.
 */
export class Product extends Model<InferAttributes<Product>, InferCreationAttributes<Product>> {
  declare id: string;
  declare title: string;
  declare image: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export type ProductModel = typeof Product;

export function defineProduct(sequelize: Sequelize): ProductModel {
  class BoundProduct extends Product {}
  BoundProduct.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
      title: { type: DataTypes.STRING(PRODUCT_LIMITS.title), allowNull: false },
      image: { type: DataTypes.STRING(PRODUCT_LIMITS.image), allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: 'Product', tableName: 'products', underscored: true },
  );
  return BoundProduct;
}
