/**
 * The dashboard's REST API (under /api):
 *   GET/POST /products, GET/PUT/PATCH/DELETE /products/:id   (a model view set)
 *   GET /user (a random user's id), POST /user (creates one: 201 {"id": …})
 */
import { Router } from 'express';

import { AppError, methodNotAllowed, modelViewSet } from '../../framework/index.js';
import type { DashboardContext } from '../context.js';

export function routes({ products, models, sequelize }: DashboardContext): Router {
  const router = Router();
  router.use('/products', modelViewSet(products));
  router
    .route('/user')
    .get(async (_req, res) => {
      const user = await models.User.findOne({ order: sequelize.random() });
      if (!user) throw AppError.notFound('there are no users yet: create one with POST /api/user');
      res.json({ id: user.id });
    })
    .post(async (_req, res) => {
      const user = await models.User.create({});
      res.status(201).json({ id: user.id, created_at: user.createdAt.toISOString() });
    })
    .all(methodNotAllowed(['GET', 'POST']));
  return router;
}
