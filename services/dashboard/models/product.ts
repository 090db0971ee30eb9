import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

import { PRODUCT_LIMITS } from '../../contracts/product.js';

/** A product as the dashboard owns it: the source of truth, including its like count. */
export class Product extends Model<InferAttributes<Product>, InferCreationAttributes<Product>> {
  declare id: CreationOptional<string>;
  declare title: string;
  declare image: string | null;
  declare likes: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export type ProductModel = typeof Product;

export function defineProduct(sequelize: Sequelize): ProductModel {
  // A subclass per connection, so several databases can be open in one process (tests).
  class BoundProduct extends Product {}
  BoundProduct.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      title: { type: DataTypes.STRING(PRODUCT_LIMITS.title), allowNull: false },
      image: { type: DataTypes.STRING(PRODUCT_LIMITS.image), allowNull: true },
      likes: {
        type: DataTypes.BIGINT,
        allowNull: false,
        defaultValue: 0,
        validate: { min: 0 },
        // PostgreSQL returns BIGINT as a string; a like count fits a JS number.
        get(this: Product) {
          return Number(this.getDataValue('likes'));
        },
      },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: 'Product', tableName: 'products', underscored: true },
  );
  return BoundProduct;
}
