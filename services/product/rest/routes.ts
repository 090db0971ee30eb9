/**
 * The product service's REST API (under /api):
 *   GET /products                 the local copies (read-only: the dashboard owns products)
 *   POST /products/:id/like       like a product (GET accepted too, and treated as the write it is)
 */
import { describeRoute, methodNotAllowed, modelViewSet, Router, writeRoute } from '../../framework/index.js';
import type { ProductContext } from '../context.js';
import { likeHandler, likeOperations } from './like.js';

export function routes(ctx: ProductContext): Router {
  const router = Router();
  const like = likeHandler(ctx);
  router.route('/products/:id/like').post(like).get(writeRoute, like).all(methodNotAllowed(['POST', 'GET']));
  describeRoute(router, '/products/:id/like', likeOperations);
  router.use('/products', modelViewSet(ctx.products, ['list', 'retrieve']));
  return router;
}
