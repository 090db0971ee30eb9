/**
 * Interleaved measurement. A machine shared with other work (a CI runner, a laptop, a
 * cloud VM with noisy neighbours) changes speed from one minute to the next, by a quarter
 * or more here. Measured one after the other, the framework and its bare baseline then
 * each get a different machine, and their ratio moves more than any change under test.
 * So each pair is measured in slices, in ABBA order (framework, bare, bare, framework):
 * both get the same share of every minute, and a steady drift cancels out. With peers, a
 * group of four runs ABCDDCBA.
 */
import type { LoadResult } from './load.js';
import { perSecond, summarize } from './stats.js';

/** Which of a pair (0 = first, 1 = second) each of `slices` slices measures: ABBA, repeated. */
export function abbaOrder(slices: number): (0 | 1)[] {
  return interleavedOrder(2, slices) as (0 | 1)[];
}

/**
 * Which of `members` (0 … members - 1) each of `slices` slices measures: forwards then
 * backwards, repeated (ABBA for a pair; ABCDDCBA for a framework, its bare twin and two peers),
 * so each member's mean slice falls at the same moment and a steady drift cancels out.
 */
export function interleavedOrder(members: number, slices: number): number[] {
  const round = [...Array.from({ length: members }, (_, i) => i), ...Array.from({ length: members }, (_, i) => members - 1 - i)];
  return Array.from({ length: slices }, (_, i) => round[i % round.length]);
}

/** One result from the slices of one measurement: totals summed, throughput over the total measured time, latencies from every sample. */
export function mergeSlices(slices: readonly LoadResult[]): LoadResult {
  if (slices.length === 0) throw new Error('mergeSlices: no slices');
  const sum = (pick: (r: LoadResult) => number) => slices.reduce((total, r) => total + pick(r), 0);
  const errors: Record<string, number> = {};
  for (const slice of slices) for (const [kind, n] of Object.entries(slice.errors)) errors[kind] = (errors[kind] ?? 0) + n;
  const ok = sum((r) => r.ok);
  const measuredMs = sum((r) => r.measuredMs);
  const samples = slices.flatMap((r) => r.samples ?? []);
  return {
    requests: sum((r) => r.requests),
    sent: sum((r) => r.sent),
    ok,
    throughput: perSecond(ok, measuredMs),
    latencyMs: summarize(samples),
    errors,
    errorCount: sum((r) => r.errorCount),
    acknowledged: sum((r) => r.acknowledged),
    pending: sum((r) => r.pending),
    totalErrors: sum((r) => r.totalErrors),
    measuredMs,
    loadCpuMs: sum((r) => r.loadCpuMs),
    loadWallMs: sum((r) => r.loadWallMs),
  };
}

/**
 * The lowest and highest of a side's per-slice throughput ratios to its bare twin: the k-th
 * slice of each against the k-th of the other, which ran in the same round of the
 * interleaving, next to it or a few slices away. The merged ratio is the measurement; this
 * says how far the machine moved it within the run, so a verdict a few per cent either side
 * of a target reads as what it is. Undefined without a pair to compare.
 */
export function sliceRatioRange(side: readonly number[], bare: readonly number[]): [number, number] | undefined {
  const ratios = pairedRatios(side, bare);
  if (ratios.length === 0) return undefined;
  return [roundRatio(Math.min(...ratios)), roundRatio(Math.max(...ratios))];
}

/** The k-th slice's throughput of a side over the k-th of its twin, for each k the twin measured anything. */
function pairedRatios(side: readonly number[], bare: readonly number[]): number[] {
  const ratios: number[] = [];
  for (let k = 0; k < Math.min(side.length, bare.length); k++) if (bare[k] > 0) ratios.push(side[k] / bare[k]);
  return ratios;
}

const roundRatio = (r: number) => Math.round(r * 1000) / 1000;

// Student's t at 95% one-sided (a two-sided 90% interval) for 1–30 degrees of freedom; beyond, the normal's 1.645.
const T90 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.74, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697];

/**
 * A 90% confidence interval for a side's throughput ratio to its bare twin, from the per-slice
 * ratios (paired as in sliceRatioRange): the geometric mean of the pairs, widened by Student's
 * t times their standard error, on the log scale (a ratio's noise is a factor, not a difference).
 * A target inside it is one this run cannot tell from its noise; a target outside it was met, or
 * missed, beyond the run's own spread. Undefined with fewer than two pairs.
 */
export function ratioInterval(side: readonly number[], bare: readonly number[]): [number, number] | undefined {
  const logs = pairedRatios(side, bare)
    .filter((ratio) => ratio > 0)
    .map(Math.log);
  const n = logs.length;
  if (n < 2) return undefined;
  const mean = logs.reduce((sum, x) => sum + x, 0) / n;
  const sd = Math.sqrt(logs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1));
  const half = (T90[n - 2] ?? 1.645) * (sd / Math.sqrt(n));
  return [roundRatio(Math.exp(mean - half)), roundRatio(Math.exp(mean + half))];
}
