/**
 * POST /api/products/:id/like  {"user_id"?: "<uuid>"}   (GET is accepted, as in the tutorial)
 *
 * The like row and an outbox entry for the dashboard's LikeProduct commit together
 * (likes.ts, batched with concurrent likes; sync/dashboard-likes.ts delivers it), so a like is never half done: 200 with the dashboard's new count
 * when the dashboard counted it within MGRPC_SYNC_WAIT_MS, 202 "pending" when it is
 * unreachable (the like is recorded and is counted as soon as it is back), the dashboard's
 * error, with nothing kept, when it refuses the like for good. A second like by
 * the same user is 409. Without a user id a random user comes from the dashboard's
 * GetUser, which needs the dashboard up (503 otherwise).
 */
import type { Request, Response } from 'express';
import { z } from 'zod';

import { AppError, atomic, type OperationSpec, type RouteDescription } from '../../framework/index.js';
import type { ProductContext } from '../context.js';

/** What a like may carry (the body of POST, the query of GET); validated here and shown in the OpenAPI document. */
export const likeBody = z.strictObject({ user_id: z.uuid({ error: 'must be a UUID' }).optional() }, { error: 'must be a JSON object' });

const likeAnswer = z.object({ message: z.literal('Success'), product_id: z.uuid(), user_id: z.uuid(), likes: z.int().min(1) });
const pendingAnswer = z.object({ message: z.string(), status: z.literal('pending'), product_id: z.uuid(), user_id: z.uuid() });

const likeOperation: OperationSpec = {
  summary: 'Like a product',
  description: 'Records the like and has the dashboard count it. Without user_id a random user likes it (needs the dashboard up).',
  parameters: [{ name: 'id', in: 'path', description: "the product's id", schema: z.uuid() }],
  responses: {
    200: { description: 'Liked; likes is the dashboard\'s new count', schema: likeAnswer },
    202: { description: 'Recorded; the dashboard is unreachable and will count it when it is back', schema: pendingAnswer },
  },
  errors: [400, 404, 409, 413, 415, 503],
  write: true,
};

/** The like route's operations for the OpenAPI document: the same schema the handler validates with. */
export const likeOperations: RouteDescription = {
  post: { ...likeOperation, requestBody: { schema: likeBody, required: false } },
  get: {
    ...likeOperation,
    summary: 'Like a product (the tutorial\'s GET; prefer POST)',
    parameters: [...likeOperation.parameters!, { name: 'user_id', in: 'query', schema: likeBody.shape.user_id }],
  },
};

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

export function likeHandler({ products, models, clients, sequelize, outbox, config, likes }: ProductContext) {
  return async (req: Request, res: Response) => {
    const productId = products.parseLookup(req.params.id);
    let userId = requestedUser(req);
    if (userId === undefined) {
      // Unknown product: 404 before asking the dashboard for a user.
      await products.ensureExists(productId);
      userId = (await clients.users.GetUser({})).id;
    }

    const recorded = await likes({ productId, userId });
    if (recorded.status === 'no-product') throw AppError.notFound(`product ${productId} not found`);
    if (recorded.status === 'duplicate') throw new AppError('ALREADY_EXISTS', `user ${userId} already liked product ${productId}`);
    const { entry } = recorded;

    const outcome = await outbox.waitFor<number>(entry, config.syncWaitMs);
    if (outcome.status === 'delivered') {
      res.json({ message: 'Success', product_id: productId, user_id: userId, likes: outcome.result });
    } else if (outcome.status === 'pending') {
      res.status(202).json({
        message: 'Like recorded; the dashboard has not counted it yet and will as soon as it is reachable',
        status: 'pending',
        product_id: productId,
        user_id: userId,
      });
    } else {
      // The dashboard refused it for good (it has no such product): undo the like, so the
      // caller's error leaves nothing behind, and pass the dashboard's answer on.
      await atomic(sequelize, async (transaction) => {
        await models.ProductUser.destroy({ where: { userId: userId!, productId }, transaction });
        await outbox.discard(transaction, entry);
      });
      throw outcome.error;
    }
  };
}
