/**
 * Interleaved slices: the ABBA order, and one result from several slices (totals summed,
 * throughput over the total measured time, percentiles over every sample, not averaged).
 */
import { describe, expect, it } from 'vitest';

import type { LoadResult } from './load.js';
import { abbaOrder, interleavedOrder, mergeSlices, ratioInterval, sliceRatioRange } from './slices.js';
import { summarize } from './stats.js';

function slice(latency: number, n: number, measuredMs: number, errors: Record<string, number> = {}): LoadResult {
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  const samples = Array.from({ length: n }, () => latency);
  return {
    requests: n,
    sent: n + 5,
    ok: n - failed,
    throughput: Math.round(((n - failed) / measuredMs) * 10_000) / 10,
    latencyMs: summarize(samples),
    errors,
    errorCount: failed,
    acknowledged: n - failed + 5,
    pending: 1,
    totalErrors: failed,
    measuredMs,
    loadCpuMs: measuredMs / 2,
    loadWallMs: measuredMs,
    samples,
  };
}

describe('abbaOrder', () => {
  it('gives each of the pair the same slots, first and last to the first', () => {
    expect(abbaOrder(1)).toEqual([0]);
    expect(abbaOrder(4)).toEqual([0, 1, 1, 0]);
    expect(abbaOrder(8)).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
  });
});

describe('interleavedOrder', () => {
  it('runs a group forwards then backwards, so every member gets the same slots on average', () => {
    expect(interleavedOrder(4, 8)).toEqual([0, 1, 2, 3, 3, 2, 1, 0]);
    expect(interleavedOrder(3, 12)).toEqual([0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0]);
    expect(interleavedOrder(2, 4)).toEqual(abbaOrder(4));
    // Each member's mean slot index is the same.
    const order = interleavedOrder(4, 8);
    const meanSlot = (member: number) => order.reduce((sum, m, i) => sum + (m === member ? i : 0), 0) / 2;
    expect(new Set([0, 1, 2, 3].map(meanSlot))).toEqual(new Set([3.5]));
  });
});

describe('mergeSlices', () => {
  it('sums the counts, takes throughput over the total measured time and percentiles over all samples', () => {
    // A fast slice and a slow one (the machine slowed down in between).
    const merged = mergeSlices([slice(1, 99, 1000), slice(3, 51, 1000, { http_500: 1 })]);
    expect(merged.requests).toBe(150);
    expect(merged.ok).toBe(149);
    expect(merged.throughput).toBe(74.5);
    expect(merged.errors).toEqual({ http_500: 1 });
    expect(merged.errorCount).toBe(1);
    expect(merged.acknowledged).toBe(99 + 5 + 50 + 5);
    expect(merged.pending).toBe(2);
    expect(merged.measuredMs).toBe(2000);
    expect([merged.loadCpuMs, merged.loadWallMs]).toEqual([1000, 2000]);
    // 99 of 150 samples are 1 ms: the median is 1 ms and p90 3 ms, not an average of the slices' own.
    expect(merged.latencyMs).toMatchObject({ p50: 1, p90: 3, p99: 3, max: 3, mean: 1.68 });
  });

  it('refuses nothing to merge', () => {
    expect(() => mergeSlices([])).toThrow(/no slices/);
  });
});

describe('sliceRatioRange', () => {
  it('compares the k-th slice of a side with the k-th of its twin, not the best with the worst', () => {
    // The machine slowed in the second round: both sides dropped, their ratio did not.
    expect(sliceRatioRange([1200, 600], [1000, 500])).toEqual([1.2, 1.2]);
    expect(sliceRatioRange([1100, 600, 900], [1000, 500, 1000])).toEqual([0.9, 1.2]);
  });

  it('skips slices the twin answered none of, and has no range without a pair', () => {
    expect(sliceRatioRange([500, 800], [0, 1000])).toEqual([0.8, 0.8]);
    expect(sliceRatioRange([500], [0])).toBeUndefined();
    expect(sliceRatioRange([], [])).toBeUndefined();
  });
});

describe('ratioInterval', () => {
  it('is a point for identical pairs, and a 90% interval around the geometric mean of the pairs otherwise', () => {
    expect(ratioInterval([1200, 600], [1000, 500])).toEqual([1.2, 1.2]);
    // Pairs 1.1 and 0.9: log mean -0.0050, sd 0.1419, t(1) 6.314 -> exp(-0.0050 -+ 0.6335).
    expect(ratioInterval([1100, 900], [1000, 1000])).toEqual([0.528, 1.875]);
    // The same spread over ten pairs is far narrower: t(9) 1.833, and the error shrinks with the root of n.
    const [low, high] = ratioInterval([1100, 900, 1100, 900, 1100, 900, 1100, 900, 1100, 900], Array(10).fill(1000))!;
    expect(low).toBeCloseTo(0.936, 3);
    expect(high).toBeCloseTo(1.058, 3);
  });

  it('needs two usable pairs', () => {
    expect(ratioInterval([1000], [900])).toBeUndefined();
    expect(ratioInterval([1000, 500], [0, 900])).toBeUndefined();
    expect(ratioInterval([], [])).toBeUndefined();
  });
});
