import { randomUUID } from 'node:crypto';

import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize, type Transaction } from 'sequelize';

import { sqlRunner, sqlTimestamp } from '../../framework/index.js';

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

/**
 * Records a like in the caller's transaction with one prepared INSERT that also checks the
 * product exists (the like path is the hot path; a model `create` plus a lookup cost more
 * than the write). Returns false when there is no such product; a second like by the same
 * user throws the framework's UniqueViolation.
 */
export async function insertLike(sequelize: Sequelize, transaction: Transaction, like: { userId: string; productId: string }): Promise<boolean> {
  const now = sqlTimestamp(sequelize, new Date());
  const rows = await sqlRunner(sequelize).all(
    `INSERT INTO product_users (id, user_id, product_id, created_at, updated_at)
     SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM products WHERE id = ?) RETURNING id`,
    [randomUUID(), like.userId, like.productId, now, now, like.productId],
    transaction,
  );
  return rows.length > 0;
}
