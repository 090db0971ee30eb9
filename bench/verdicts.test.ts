/**
 * The rule that calls a missed target out of reach (verdicts.ts), with the sides the bench
 * names and their kinds on each database (bounds/sides.ts): a target is out of reach only
 * when a bound that holds for ours missed it too and ours did no better, and the bound of
 * ours' design counts only while the other design misses too.
 */
import { describe, expect, it } from 'vitest';

import { boundKind, type BenchDialect } from './bounds/sides.js';
import { outOfReach, type BoundImpl, type BoundSide } from './verdicts.js';

/** Sides from ratios to the bare server, against ours' ratio and the wanted one, on a database. */
const sides = (ours: number, wanted: number, ratios: Partial<Record<BoundImpl, number>>, dialect: BenchDialect = 'sqlite'): BoundSide[] =>
  Object.entries(ratios).map(([impl, ratio]) => ({ impl: impl as BoundImpl, kind: boundKind(impl as BoundImpl, dialect), reachable: ratio >= wanted, beatenByOurs: ours > ratio }));

describe('outOfReach', () => {
  it('is never said of a met target', () => {
    expect(outOfReach(true, sides(1.3, 1.2, { ceiling: 1.1 }))).toBe(false);
  });

  it('holds when a limit missed too and ours did no better, and not when ours beat it', () => {
    expect(outOfReach(false, sides(1.0, 1.2, { ceiling: 1.1 }))).toBe(true);
    expect(outOfReach(false, sides(1.0, 1.2, { ceiling: 1.3, layer: 1.15 }))).toBe(true);
    expect(outOfReach(false, sides(1.0, 1.2, { ceiling: 1.3, layer: 1.3, layeronetrip: 1.15 }))).toBe(true);
    expect(outOfReach(false, sides(0.6, 0.9, { once: 0.5 }))).toBe(false);
    expect(outOfReach(false, sides(1.0, 1.2, {}))).toBe(false);
  });

  it('on SQLite ours writes a batch in one statement: the one-trip bound is its design, the batched twin another', () => {
    expect([boundKind('onetrip', 'sqlite'), boundKind('batched', 'sqlite')]).toEqual(['design', 'other-design']);
    // The one-trip bound missed and ours did no better: out of reach for that design...
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.3, onetrip: 1.1, batched: 1.05 }))).toBe(true);
    // ...unless the other design met it, and the twin's miss alone proves nothing.
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.3, onetrip: 1.1, batched: 1.22 }))).toBe(false);
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.3, onetrip: 1.25, batched: 1.1 }))).toBe(false);
  });

  it('on PostgreSQL ours writes a batch in a transaction: the batched twin is its design, the one-trip bound another', () => {
    expect([boundKind('batched', 'postgres'), boundKind('onetrip', 'postgres')]).toEqual(['design', 'other-design']);
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.3, batched: 1.1, onetrip: 1.15 }, 'postgres'))).toBe(true);
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.3, batched: 1.1, onetrip: 1.25 }, 'postgres'))).toBe(false);
  });

  it('LikeProduct in the 19:55 run (SQLite): at c64 our layer around the least database work missed, so out of reach; at c16 it met', () => {
    expect(outOfReach(false, sides(1.12, 1.2, { ceiling: 1.34, layer: 1.24, layeronetrip: 1.13, batched: 1.23, onetrip: 1.35 }))).toBe(true);
    expect(outOfReach(false, sides(1.14, 1.2, { ceiling: 1.53, layer: 1.58, layeronetrip: 1.39, batched: 1.19, onetrip: 1.38 }))).toBe(false);
  });

  it('a miss bounds nothing when a side doing its work and more met the target', () => {
    // The 01:42 run at c64 (SQLite): the layer with no database missed, the layer around the one-trip batches met.
    expect(outOfReach(false, sides(1.1, 1.2, { ceiling: 1.27, layer: 1.18, layeronetrip: 1.26, batched: 1.27, onetrip: 1.35 }))).toBe(false);
    // The ceiling's miss is outdone by any side that met it, the layer's only by the layer + one trip.
    expect(outOfReach(false, sides(1.0, 1.2, { ceiling: 1.15, onetrip: 1.22 }))).toBe(false);
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.15, onetrip: 1.25 }))).toBe(true);
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.15, layeronetrip: 1.21 }))).toBe(false);
    // Our layer around the one-trip work met it: the one-trip bound's miss is no proof for ours' design either.
    expect(outOfReach(false, sides(1.0, 1.2, { layer: 1.3, layeronetrip: 1.25, onetrip: 1.1, batched: 1.05 }))).toBe(false);
  });
});
