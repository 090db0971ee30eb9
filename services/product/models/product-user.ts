import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

/** One like: a user likes a product at most once (unique together). */
export class ProductUser extends Model<InferAttributes<ProductUser>, InferCreationAttributes<ProductUser>> {
  declare id: CreationOptional<string>;
  declare userId: string;
  declare productId: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export type ProductUserModel = typeof ProductUser;

export function defineProductUser(sequelize: Sequelize): ProductUserModel {
  class BoundProductUser extends ProductUser {}
  BoundProductUser.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      userId: { type: DataTypes.UUID, allowNull: false },
      productId: { type: DataTypes.UUID, allowNull: false },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    {
      sequelize,
      modelName: 'ProductUser',
      tableName: 'product_users',
      underscored: true,
      indexes: [{ unique: true, fields: ['user_id', 'product_id'] }],
    },
  );
  return BoundProductUser;
}
