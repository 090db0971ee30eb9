/** Latency summaries from raw samples (a sorted copy; exact percentiles, no histogram buckets). */

export interface LatencySummary {
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array (q in 0..1); 0 for no samples. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** `count` events over `ms` milliseconds, per second, to one decimal. */
export function perSecond(count: number, ms: number): number {
  return Math.round((count / Math.max(1, ms)) * 1000 * 10) / 10;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    p50: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1]),
    mean: round(sorted.length === 0 ? 0 : sum / sorted.length),
  };
}
