/**
 * The dashboard's REST API (under /api):
 *   GET/POST /products, GET/PUT/PATCH/DELETE /products/:id   (a model view set)
 *   GET /user (a random user's id), POST /user (no body or {}; creates one: 201 {"id": …})
 */
import { Router } from 'express';

import { AppError, methodNotAllowed, modelViewSet } from '../../framework/index.js';
import type { DashboardContext } from '../context.js';

// A user has no writable fields: anything sent is a mistake the client should hear about.
function refuseUserFields(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) throw AppError.invalid('body', 'must be a JSON object');
  const [field] = Object.keys(body);
  if (field !== undefined) throw AppError.invalid(field, 'unknown field (a user has no writable fields: send {} or no body)');
}

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
    .post(async (req, res) => {
      refuseUserFields(req.body);
      const user = await models.User.create({});
      res.status(201).json({ id: user.id, created_at: user.createdAt.toISOString() });
    })
    .all(methodNotAllowed(['GET', 'POST']));
  return router;
}
