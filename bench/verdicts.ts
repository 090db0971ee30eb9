/**
 * When a missed target is out of reach. Each bound is a side measured in the same run that
 * answers no more than some class of servers could. A bound that misses the target, with ours
 * doing no better than it, puts the target out of reach; a bound ours beats bounds nothing
 * (batching beats the exactly-once twin under load).
 *
 * What each side bounds is its `kind` in bounds/sides.ts:
 * - `limit`: holds for ours. The ceiling (no database) bounds any grpc-js server under this
 *   load, the framework layer (no database) any handler on our per-call layer, the layer around
 *   the one-trip database work any handler on that layer that keeps a like's guarantees (one
 *   statement per batch is the least a count and its log rows can take), the exactly-once twin
 *   any server with the REST like's guarantees.
 * - `design`: the batched twin bounds servers that write a like batch as ours does (BEGIN,
 *   UPDATE, the log's rows with the COMMIT), not the machine.
 * - `other-design`: the one-trip bound keeps the same guarantees with the log written by a
 *   trigger. When it meets the target, a design bound's miss shows only that ours' design
 *   cannot, and the target is a plain miss. It bounds nothing itself (ours is not that design).
 */
import { BOUNDS, type BoundImpl, type BoundKind } from './bounds/sides.js';

export type { BoundImpl, BoundKind };

export interface BoundSide {
  impl: BoundImpl;
  /** The side met the target itself. */
  reachable: boolean;
  /** Ours did better than this side. */
  beatenByOurs: boolean;
}

/** Ours missed the target (`met` false) and a bound that holds for ours missed it too, no worse than ours. */
export function outOfReach(met: boolean, sides: readonly BoundSide[]): boolean {
  if (met) return false;
  const kind = (side: BoundSide): BoundKind => BOUNDS[side.impl].kind;
  const otherDesignMeets = sides.some((side) => kind(side) === 'other-design' && side.reachable);
  return sides.some((side) => (kind(side) === 'limit' || (kind(side) === 'design' && !otherDesignMeets)) && !side.reachable && !side.beatenByOurs);
}
