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
      // The second serves "likes of a product" (the first one leads with user_id).
      indexes: [{ unique: true, fields: ['user_id', 'product_id'] }, { fields: ['product_id'] }],
    },
  );
  return BoundProductUser;
}

/** What became of one like of a batch. */
export type LikeInsert = 'inserted' | 'duplicate' | 'no-product';

/**
 * Records likes in the caller's transaction with one prepared multi-row INSERT per batch
 * (the like path is the hot path; a model `create` plus a lookup per like cost more than
 * the writes) that skips likes of missing products and a user's second like. Returns, for
 * each like in order, whether it was recorded, was a duplicate (the user liked the product
 * before, or twice in this batch) or names no product; only when some were not recorded
 * does a second statement look up which products exist.
 */
export async function insertLikes(sequelize: Sequelize, transaction: Transaction, likes: readonly { userId: string; productId: string }[]): Promise<LikeInsert[]> {
  const sql = sqlRunner(sequelize);
  // PostgreSQL types a VALUES list on its own, before the INSERT: it needs the casts.
  const tuple = sequelize.getDialect() === 'postgres' ? '(?::uuid, ?::uuid, ?::uuid, ?::timestamptz, ?::timestamptz)' : '(?, ?, ?, ?, ?)';
  const now = sqlTimestamp(sequelize, new Date());
  const rows = likes.map((like) => ({ id: randomUUID(), ...like }));
  const inserted = new Set<string>();
  for (const chunk of chunks(rows)) {
    const returned = await sql.all<{ id: string }>(
      `INSERT INTO product_users (id, user_id, product_id, created_at, updated_at)
       SELECT v.column1, v.column2, v.column3, v.column4, v.column5 FROM (VALUES ${new Array<string>(chunk.length).fill(tuple).join(', ')}) AS v
       WHERE EXISTS (SELECT 1 FROM products p WHERE p.id = v.column3)
       ON CONFLICT (user_id, product_id) DO NOTHING RETURNING id`,
      chunk.flatMap((row) => [row.id, row.userId, row.productId, now, now]),
      transaction,
    );
    for (const row of returned) inserted.add(String(row.id));
  }
  const existing = new Set<string>();
  const unsure = [...new Set(rows.filter((row) => !inserted.has(row.id)).map((row) => row.productId))];
  for (const ids of chunks(unsure)) {
    const found = await sql.all<{ id: string }>(`SELECT id FROM products WHERE id IN (${sqlTuples(ids.length)})`, ids, transaction);
    for (const row of found) existing.add(String(row.id));
  }
  return rows.map((row) => (inserted.has(row.id) ? 'inserted' : existing.has(row.productId) ? 'duplicate' : 'no-product'));
}
