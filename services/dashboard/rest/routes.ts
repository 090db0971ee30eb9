/**
 * The dashboard's REST API (under /api):
 *   GET/POST /products, GET/PUT/PATCH/DELETE /products/:id   (a model view set)
 *   GET /user (a random user's id), POST /user (no body or {}; creates one: 201 {"id": …})
 * The admin (/admin) shows the products view set by itself, and users as registered here.
 */
import { z } from 'zod';

import { AppError, adminResource, describeRoute, methodNotAllowed, modelViewSet, Router, type RouteDescription } from '../../framework/index.js';
import type { DashboardContext } from '../context.js';
import { randomUserId, userResource } from '../resource.js';

// A user has no writable fields: anything sent is a mistake the client should hear about.
const userBody = z.strictObject({});
const userId = z.object({ id: z.uuid() });
const createdUser = z.object({ id: z.uuid(), created_at: z.iso.datetime() });

function refuseUserFields(body: unknown): void {
  if (body === undefined || body === null) return;
  const parsed = userBody.safeParse(body);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw AppError.invalid(issue.keys[0], 'unknown field (a user has no writable fields: send {} or no body)');
  throw AppError.invalid('body', 'must be a JSON object');
}

const userOperations: RouteDescription = {
  get: { summary: "A random user's id", tags: ['user'], responses: { 200: { description: 'A user', schema: userId } }, errors: [400] },
  post: {
    summary: 'Create a user',
    tags: ['user'],
    requestBody: { schema: userBody, required: false, description: 'no body, or {}: a user has no writable fields' },
    responses: { 201: { description: 'The new user', schema: createdUser } },
    errors: [400, 413, 415],
    write: true,
  },
};

export function routes({ products, models, sequelize }: DashboardContext): Router {
  const router = Router();
  router.use('/products', modelViewSet(products));
  router
    .route('/user')
    .get(async (_req, res) => {
      res.json({ id: await randomUserId(models, sequelize) });
    })
    .post(async (req, res) => {
      refuseUserFields(req.body);
      const user = await models.User.create({});
      res.status(201).json({ id: user.id, created_at: user.createdAt.toISOString() });
    })
    .all(methodNotAllowed(['GET', 'POST']));
  describeRoute(router, '/user', userOperations);
  adminResource(router, '/users', userResource(models), ['list', 'retrieve', 'create']);
  return router;
}
