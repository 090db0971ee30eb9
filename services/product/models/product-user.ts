import { randomUUID } from 'node:crypto';

import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize, type Transaction } from 'sequelize';

import { chunks, sqlRunner, sqlTimestamp, sqlTuples } from '../../framework/index.js';

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

/** What became of one like of a batch. */
export type LikeInsert = 'inserted' | 'duplicate' | 'no-product';

/**
 * Records likes in the caller's transaction with two prepared statements per batch (the
 * like path is the hot path; a model `create` plus a lookup per like cost more than the
 * writes): which products exist, then one multi-row INSERT that skips a user's second
 * like. Returns, for each like in order, whether it was recorded, was a duplicate (the
 * user liked the product before, or twice in this batch) or names no product.
 */
export async function insertLikes(sequelize: Sequelize, transaction: Transaction, likes: readonly { userId: string; productId: string }[]): Promise<LikeInsert[]> {
  const sql = sqlRunner(sequelize);
  const existing = new Set<string>();
  for (const ids of chunks([...new Set(likes.map((like) => like.productId))])) {
    const rows = await sql.all<{ id: string }>(`SELECT id FROM products WHERE id IN (${sqlTuples(ids.length)})`, ids, transaction);
    for (const row of rows) existing.add(String(row.id));
  }
  const now = sqlTimestamp(sequelize, new Date());
  const rows = likes.map((like) => (existing.has(like.productId) ? { id: randomUUID(), ...like } : undefined));
  const inserted = new Set<string>();
  for (const chunk of chunks(rows.filter((row) => row !== undefined))) {
    const returned = await sql.all<{ id: string }>(
      `INSERT INTO product_users (id, user_id, product_id, created_at, updated_at) VALUES ${sqlTuples(chunk.length, 5)}
       ON CONFLICT (user_id, product_id) DO NOTHING RETURNING id`,
      chunk.flatMap((row) => [row.id, row.userId, row.productId, now, now]),
      transaction,
    );
    for (const row of returned) inserted.add(String(row.id));
  }
  return rows.map((row) => (row === undefined ? 'no-product' : inserted.has(row.id) ? 'inserted' : 'duplicate'));
}
