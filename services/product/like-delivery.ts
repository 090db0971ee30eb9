/**
 * How a like reaches the dashboard: an outbox entry (topic `dashboard.like`) written with
 * the ProductUser row, delivered as LikeProduct with the outbox metadata. Its idempotency
 * key names the (product, user) pair, so however often it is delivered the dashboard
 * counts it once.
 */
import type { Transaction } from 'sequelize';

import type { DeliveryContext, Outbox } from '../framework/index.js';
import type { ProductClients } from './clients.js';

export const DASHBOARD_LIKE = 'dashboard.like';

export interface LikeChange {
  productId: string;
  userId: string;
}

/** Queues the dashboard's LikeProduct for recorded likes (in their transaction); the entry ids, in order. */
export function enqueueLikes(outbox: Outbox, transaction: Transaction, likes: readonly (LikeChange & { requestId?: string })[]): Promise<number[]> {
  return outbox.enqueueMany(
    transaction,
    likes.map(({ productId, userId, requestId }) => ({
      topic: DASHBOARD_LIKE,
      payload: { productId, userId },
      idempotencyKey: `like:${productId}:${userId}`,
      requestId,
    })),
  );
}

/** Resolves with the dashboard's like count after this like. */
export function deliverLike(clients: ProductClients) {
  return async ({ productId }: LikeChange, { metadata }: DeliveryContext): Promise<number> => {
    const { product } = await clients.products.LikeProduct({ id: productId }, { metadata });
    return Number(product?.likes ?? 0);
  };
}
