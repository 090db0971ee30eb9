/**
 * The __name__ service's REST API (under /api):
 *   GET/POST /__models_path__, GET/PUT/PATCH/DELETE /__models_path__/:id   (a model view set)
 */
import { modelViewSet, Router } from '__framework__';
import type { __Pascal__Context } from '../context.js';

export function routes({ __models__ }: __Pascal__Context): Router {
  const router = Router();
  router.use('/__models_path__', modelViewSet(__models__));
  return router;
}
