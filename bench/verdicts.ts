/**
 * When a missed target is out of reach. Each bound is a side measured in the same run that
 * answers no more than some class of servers could: the ceiling (no database) any grpc-js
 * server under this load, the framework layer (no database) any handler on our per-call layer,
 * the batched twin any server that writes a like batch as ours does (BEGIN, UPDATE, the log's
 * rows with the COMMIT), the exactly-once twin any server with the REST like's guarantees. A
 * bound that misses the target, with ours doing no better than it, puts the target out of
 * reach. A bound ours beats bounds nothing (batching beats the exactly-once twin under load).
 *
 * The batched twin bounds a design, not the machine: the one-trip bound keeps the same
 * guarantees with the log written by a trigger, so when it meets the target the twin's miss
 * shows only that ours' design cannot, and the target is a plain miss.
 */
export type BoundKind = 'any' | 'design' | 'other-design';

export interface BoundSide {
  kind: BoundKind;
  /** The side met the target itself. */
  reachable: boolean;
  /** Ours did better than this side. */
  beatenByOurs: boolean;
}

/** Ours missed the target (`met` false) and a bound that holds for ours missed it too, no worse than ours. */
export function outOfReach(met: boolean, sides: readonly BoundSide[]): boolean {
  if (met) return false;
  const otherDesignMeets = sides.some((side) => side.kind === 'other-design' && side.reachable);
  return sides.some((side) => (side.kind === 'any' || (side.kind === 'design' && !otherDesignMeets)) && !side.reachable && !side.beatenByOurs);
}
