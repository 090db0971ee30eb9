/**
 * POST /api/products/:id/like  {"user_id"?: "<uuid>"}   (GET is accepted, as in the tutorial)
 *
 * Without a user id a random user comes from the dashboard's GetUser. The like row and
 * the dashboard's LikeProduct commit together: the row is written in a transaction that
 * commits only once the dashboard has counted the like, so a dashboard that is down leaves
 * nothing half done (503) and the user can simply try again.
 */
import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { z } from 'zod';

import { AppError } from '../../framework/index.js';
import type { ProductContext } from '../context.js';

const likeBody = z.strictObject({ user_id: z.uuid({ error: 'must be a UUID' }).optional() }, { error: 'must be a JSON object' });

function requestedUser(req: Request): string | undefined {
  const body = req.method === 'GET' ? { user_id: req.query.user_id } : (req.body ?? {});
  const parsed = likeBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') throw AppError.invalid(issue.keys[0], 'unknown field (expected only user_id)');
    throw AppError.invalid(issue.path.length > 0 ? issue.path.join('.') : 'body', issue.message);
  }
  return parsed.data.user_id;
}

export function likeHandler({ products, models, clients, sequelize }: ProductContext) {
  return async (req: Request, res: Response) => {
    const productId = products.parseLookup(req.params.id);
    let userId = requestedUser(req);
    await products.retrieve(productId);
    userId ??= (await clients.users.GetUser({})).id;

    const { product } = await sequelize
      .transaction(async (transaction) => {
        await models.ProductUser.create({ userId: userId!, productId }, { transaction });
        return clients.products.LikeProduct({ id: productId });
      })
      .catch((err: unknown) => {
        if (err instanceof UniqueConstraintError) {
          throw new AppError('ALREADY_EXISTS', `user ${userId} already liked product ${productId}`, { cause: err });
        }
        throw err;
      });
    res.json({ message: 'Success', product_id: productId, user_id: userId, likes: Number(product?.likes ?? 0) });
  };
}
