/**
 * Records likes: the ProductUser row and the outbox entry that has the dashboard count it,
 * committed together. Likes that arrive while a batch is being written are written
 * together as the next batch (`coalesce`): one transaction and two statements however
 * many likes it holds, instead of a transaction, a savepoint and two statements per like.
 * Under load that is most of what the product service's like path costs; alone, a like is
 * written at once, with no added wait.
 */
import type { Sequelize } from 'sequelize';

import { atomic, coalesce, currentRequestId } from '../framework/index.js';
import { insertLikes } from './models/product-user.js';
import type { EnqueueLikes, LikeChange } from './sync/dashboard-likes.js';

/** A like's fate: recorded (with its outbox entry, for `outbox.waitFor`), a second like by its user, or no such product. */
export type RecordedLike = { status: 'recorded'; entry: number } | { status: 'duplicate' } | { status: 'no-product' };

export type LikeRecorder = (like: LikeChange) => Promise<RecordedLike>;

type Queued = LikeChange & { requestId: string | undefined };

export function likeRecorder(sequelize: Sequelize, enqueueLikes: EnqueueLikes): LikeRecorder {
  const recordAll = coalesce(
    (likes: Queued[]) =>
      atomic(sequelize, async (transaction): Promise<RecordedLike[]> => {
        const fates = await insertLikes(sequelize, transaction, likes);
        const entries = await enqueueLikes(
          transaction,
          likes.filter((_, i) => fates[i] === 'inserted'),
        );
        let next = 0;
        return fates.map((fate) => (fate === 'inserted' ? { status: 'recorded', entry: entries[next++] } : { status: fate }));
      }),
    { maxBatch: 64 },
  );
  // Each like's delivery is logged under its own request, whichever request's batch wrote it.
  return (like) => recordAll({ ...like, requestId: currentRequestId() });
}
