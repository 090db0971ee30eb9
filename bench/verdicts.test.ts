/**
 * The rule that calls a missed target out of reach (verdicts.ts), with the sides the bench
 * names: a target is out of reach only when a bound that holds for ours missed it too and ours
 * did no better, and the batched twin's miss counts only while the one-trip bound misses too.
 */
import { describe, expect, it } from 'vitest';

import { outOfReach, type BoundImpl, type BoundSide } from './verdicts.js';

/** Sides from ratios to the bare server, against ours' ratio and the wanted one. */
const sides = (ours: number, wanted: number, ratios: Partial<Record<BoundImpl, number>>): BoundSide[] =>
  Object.entries(ratios).map(([impl, ratio]) => ({ impl: impl as BoundImpl, reachable: ratio >= wanted, beatenByOurs: ours > ratio }));

describe('outOfReach', () => {
  it('is never said of a met target', () => {
    expect(outOfReach(true, sides(1.3, 1.2, { ceiling: 1.1 }))).toBe(false);
  });

  it('holds when a limit missed too and ours did no better, and not when ours beat it', () => {
    expect(outOfReach(false, sides(1.0, 1.2, { ceiling: 1.1 }))).toBe(true);
    expect(outOfReach(false, sides(1.0, 1.2, { ceiling: 1.3, layer: 1.15 }))).toBe(true);
    expect(outOfReach(false, sides(0.6, 0.9, { once: 0.5 }))).toBe(false);
    expect(outOfReach(false, sides(1.0, 1.2, {}))).toBe(false);
  });

  it('LikeProduct at c64 in the 17:51 run: the batched twin and the one-trip bound both missed, so out of reach', () => {
    expect(outOfReach(false, sides(1.02, 1.2, { ceiling: 1.3, layer: 1.24, batched: 1.08, onetrip: 1.18 }))).toBe(true);
  });

  it('LikeProduct at c16 in the 17:51 run: the one-trip bound met it, so the twin\'s miss proves nothing', () => {
    expect(outOfReach(false, sides(0.81, 1.2, { ceiling: 1.44, layer: 1.4, batched: 1.12, onetrip: 1.29 }))).toBe(false);
  });

  it('LikeProduct in the 19:21 run: our layer around the least database work missed at c16 and c64, so out of reach for that layer even where the bare one-trip bound met it', () => {
    expect(outOfReach(false, sides(0.84, 1.2, { ceiling: 1.37, layer: 1.36, layeronetrip: 1.12, batched: 1.01, onetrip: 1.12 }))).toBe(true);
    expect(outOfReach(false, sides(1.0, 1.2, { ceiling: 1.49, layer: 1.3, layeronetrip: 1.15, batched: 1.24, onetrip: 1.34 }))).toBe(true);
  });

  it('LikeProduct in the 19:13 run: our layer around the least database work met it, so ours\' miss is its like path\'s own', () => {
    expect(outOfReach(false, sides(0.77, 1.2, { ceiling: 1.46, layer: 1.4, layeronetrip: 1.22, batched: 1.09, onetrip: 1.41 }))).toBe(false);
    expect(outOfReach(false, sides(1.11, 1.2, { ceiling: 1.54, layer: 1.37, layeronetrip: 1.23, batched: 1.13, onetrip: 1.21 }))).toBe(false);
  });

  it('keeps a limit when the one-trip bound met the target, and takes no proof from the one-trip bound alone', () => {
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.15, batched: 1.1, onetrip: 1.25 }))).toBe(true);
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.3, onetrip: 1.1 }))).toBe(false);
  });
});
