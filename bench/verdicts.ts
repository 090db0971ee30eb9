/**
 * When a missed target is out of reach. Each bound is a side measured in the same run that
 * answers no more than some class of servers could. A bound that misses the target, with ours
 * doing no better than it, puts the target out of reach; a bound ours beats bounds nothing
 * (batching beats the exactly-once twin under load).
 *
 * What each side bounds is its kind (`boundKind` in bounds/sides.ts, which depends on the
 * database: on SQLite ours writes a batch of plain likes in one statement, on PostgreSQL in a
 * transaction):
 * - `limit`: holds for ours. The ceiling (no database) bounds any grpc-js server under this
 *   load, the framework layer (no database) any handler on our per-call layer, the layer around
 *   the one-trip database work any handler on that layer that keeps a like's guarantees (one
 *   statement per batch is the least a count and its log rows can take), the exactly-once twin
 *   any server with the REST like's guarantees.
 * - `design`: the bare side that writes a like batch as ours does (on SQLite the one-trip bound,
 *   on PostgreSQL the batched twin) bounds servers of that design, not the machine.
 * - `other-design`: the other of the two keeps the same guarantees another way. When it meets
 *   the target, a design bound's miss shows only that ours' design cannot, and the target is a
 *   plain miss. It bounds nothing itself (ours is not that design).
 *
 * A side whose work another side does too, and more (`includes` in bounds/sides.ts), bounds
 * nothing when that other side met the target: at c64 the framework layer with no database,
 * answering each call on its own, missed 1.2x while the same layer around the one-trip batches
 * met it (2026-12-08 01:42 UTC), its answers written together.
 */
import { BOUNDS, type BoundImpl, type BoundKind } from './bounds/sides.js';

export type { BoundImpl, BoundKind };

export interface BoundSide {
  impl: BoundImpl;
  /** What it bounds on this run's database (boundKind). */
  kind: BoundKind;
  /** The side met the target itself. */
  reachable: boolean;
  /** Ours did better than this side. */
  beatenByOurs: boolean;
}

/** Ours missed the target (`met` false) and a bound that holds for ours missed it too, no worse than ours. */
export function outOfReach(met: boolean, sides: readonly BoundSide[]): boolean {
  if (met) return false;
  const kind = (side: BoundSide): BoundKind => side.kind;
  const otherDesignMeets = sides.some((side) => kind(side) === 'other-design' && side.reachable);
  const outdone = (side: BoundSide) => sides.some((other) => other.reachable && (BOUNDS[other.impl].includes ?? []).includes(side.impl));
  return sides.some((side) => (kind(side) === 'limit' || (kind(side) === 'design' && !otherDesignMeets)) && !side.reachable && !side.beatenByOurs && !outdone(side));
}
