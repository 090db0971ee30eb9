/**
 * The product service's REST API (under /api):
 *   GET /products                 the local copies (read-only: the dashboard owns products)
 *   POST /products/:id/like       like a product (GET accepted too, and treated as the write it is)
 * The admin (/admin) shows the copies read-only, each with its sync state.
 */
import { describeRoute, methodNotAllowed, modelViewSet, Router, writeRoute, type AdminColumn, type ColumnCell } from '../../framework/index.js';
import type { ProductContext } from '../context.js';
import { likesWaiting } from '../sync/dashboard-likes.js';
import { likeHandler, likeOperations } from './like.js';

export function routes(ctx: ProductContext): Router {
  const router = Router();
  const like = likeHandler(ctx);
  router.route('/products/:id/like').post(like).get(writeRoute, like).all(methodNotAllowed(['POST', 'GET']));
  describeRoute(router, '/products/:id/like', likeOperations);
  router.use('/products', modelViewSet(ctx.products, ['list', 'retrieve'], { admin: { columns: [syncState(ctx)] } }));
  return router;
}

/** A copy is synced when none of its likes wait in the outbox for the dashboard to count them. */
function syncState({ outbox }: ProductContext): AdminColumn {
  return {
    name: 'sync',
    label: 'Sync',
    async values(ids) {
      const waiting = await likesWaiting(outbox, ids);
      return new Map(
        ids.map((id): [string, ColumnCell] => {
          const counts = waiting.get(id);
          if (!counts) return [id, { text: 'synced', badge: 'synced' }];
          if (counts.failed > 0) return [id, { text: `${counts.failed} like${counts.failed === 1 ? '' : 's'} refused by the dashboard`, badge: 'failed' }];
          return [id, { text: `${counts.pending} like${counts.pending === 1 ? '' : 's'} pending`, badge: 'pending' }];
        }),
      );
    },
  };
}
