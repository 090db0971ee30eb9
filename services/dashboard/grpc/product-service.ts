/**
 * product.ProductService on the dashboard. LikeProduct is one atomic
 * `UPDATE … SET likes = likes + 1 … RETURNING`: concurrent likes can never overwrite
 * each other, unlike the tutorial's read-modify-write. Wrapped in `applyOnce`, a like the
 * product service's outbox delivers twice (its first reply was lost) is counted once.
 */
import { AppError, applyOnce, currentTransaction, defineService, sqlRunner, sqlTimestamp } from '../../framework/index.js';
import { proto } from '../../stubs/index.js';
import type { DashboardContext } from '../context.js';
import { productSerializer } from '../serializers.js';

export function productService({ products }: DashboardContext) {
  const Product = products.model;
  const sequelize = products.sequelize;
  const table = sequelize.getQueryInterface().quoteIdentifier(Product.getTableName() as string);
  // The hot path: a prepared statement, not an ORM query (see framework/db/sql.ts).
  const sql = sqlRunner(sequelize);
  const like = `UPDATE ${table} SET likes = likes + 1, updated_at = ? WHERE id = ? RETURNING *`;

  return defineService(proto.product.ProductService.service, {
    LikeProduct: applyOnce({ sequelize }, async (request) => {
      const id = products.parseLookup(request.id);
      const rows = await sql.all(like, [sqlTimestamp(sequelize, new Date()), id], currentTransaction(sequelize));
      if (rows.length === 0) throw AppError.notFound(`product ${id} not found`);
      const product = Product.build(rows[0] as never, { raw: true, isNewRecord: false });
      return { product: productSerializer.toMessage(product) };
    }),
  });
}
