/**
 * How a like reaches the dashboard: an outbox entry (topic `dashboard.like`) written with
 * the ProductUser row. Its idempotency key names the (product, user) pair, so however
 * often it is delivered the dashboard counts it once.
 *
 * Likes due together go in one LikeProducts call, each with its key in the message. A
 * dashboard without that method (the tutorial's, an older mgrpc) answers UNIMPLEMENTED:
 * it is then sent one LikeProduct per like, the key in the outbox metadata, and asked
 * again for the batch method every few minutes (it may have been upgraded).
 */
import type { Transaction } from 'sequelize';

import { AppError, isUnimplemented, type BatchItem, type Logger, type Outbox } from '../../framework/index.js';
import type { LikeOutcome__Output } from '../../stubs/product/LikeOutcome.js';
import type { ProductClients } from '../clients.js';

export const DASHBOARD_LIKE = 'dashboard.like';

export interface LikeChange {
  productId: string;
  userId: string;
}

/** Queues the dashboard's LikeProduct for recorded likes (in their transaction); the entry ids, in order. */
export type EnqueueLikes = (transaction: Transaction, likes: readonly (LikeChange & { requestId?: string })[]) => Promise<number[]>;

/**
 * The topic's two halves together: registers the delivery on `outbox` and returns the
 * enqueue the like recorder calls (likes.ts), so a like is written and sent from here.
 */
export function dashboardLikes(outbox: Outbox, clients: ProductClients, logger: Logger): EnqueueLikes {
  outbox.handleBatch(DASHBOARD_LIKE, deliverLikes(clients, logger));
  return (transaction, likes) =>
    outbox.enqueueMany(
      transaction,
      likes.map(({ productId, userId, requestId }) => ({
        topic: DASHBOARD_LIKE,
        payload: { productId, userId },
        idempotencyKey: `like:${productId}:${userId}`,
        requestId,
      })),
    );
}

/** How many likes of each product are still on their way to the dashboard (pending) or refused (failed). */
export interface LikesWaiting {
  pending: number;
  failed: number;
}

/**
 * The likes of `productIds` not yet counted by the dashboard, read from the outbox (the
 * admin's sync state of each copy). Reads at most `limit` entries: a backlog beyond that
 * shows as at least that many.
 */
export async function likesWaiting(outbox: Outbox, productIds: readonly string[], limit = 2000): Promise<Map<string, LikesWaiting>> {
  const wanted = new Set(productIds);
  const out = new Map<string, LikesWaiting>();
  for (const entry of await outbox.store.undelivered(DASHBOARD_LIKE, limit)) {
    const { productId } = JSON.parse(entry.payload) as LikeChange;
    if (!wanted.has(productId)) continue;
    const counts = out.get(productId) ?? { pending: 0, failed: 0 };
    counts[entry.state] += 1;
    out.set(productId, counts);
  }
  return out;
}

/** How long a dashboard without LikeProducts is sent single calls before it is asked again. */
const REPROBE_MS = 5 * 60_000;

/** Delivers likes; each resolves with the dashboard's like count after it, or the dashboard's refusal. */
function deliverLikes(clients: ProductClients, logger: Logger) {
  let singleUntil = 0;

  const one = async ({ payload, metadata }: BatchItem<LikeChange>): Promise<number | AppError> => {
    try {
      const { product } = await clients.products.LikeProduct({ id: payload.productId, userId: payload.userId }, { metadata });
      return Number(product?.likes ?? 0);
    } catch (err) {
      return AppError.from(err);
    }
  };

  const answerOf = ({ product, error }: LikeOutcome__Output): number | AppError => {
    if (error) return clients.products.errorFor(error.code, error.message);
    if (product) return Number(product.likes);
    // Neither: not an answer to count on; the like is retried.
    return new AppError('INTERNAL', 'dashboard gRPC answered a like with neither a product nor an error');
  };

  return async (items: readonly BatchItem<LikeChange>[]): Promise<(number | AppError)[]> => {
    if (Date.now() >= singleUntil) {
      try {
        const { outcomes } = await clients.products.LikeProducts({
          likes: items.map(({ payload, entry }) => ({ id: payload.productId, idempotencyKey: entry.idempotencyKey, userId: payload.userId })),
        });
        // One outcome per like, in order (the outbox retries them all if the count is off).
        return outcomes.map(answerOf);
      } catch (err) {
        if (!isUnimplemented(err)) throw err;
        singleUntil = Date.now() + REPROBE_MS;
        logger.info('dashboard gRPC has no LikeProducts: sending one LikeProduct per like', { target: clients.products.target });
      }
    }
    return Promise.all(items.map(one));
  };
}
