/** The ids of a bare like request (`POST /like/:id {user_id}`), or undefined once it was answered 400. */
import type { Request, Response } from 'express';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function likeRequest(req: Request, res: Response): { productId: string; userId: string } | undefined {
  const productId = String(req.params.id);
  const userId: unknown = req.body?.user_id;
  if (!UUID.test(productId) || typeof userId !== 'string' || !UUID.test(userId)) {
    res.status(400).json({ message: 'product id and user_id must be UUIDs' });
    return undefined;
  }
  return { productId, userId };
}
