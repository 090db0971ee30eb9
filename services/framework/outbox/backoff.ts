/**
 * When to try an undelivered entry again: exponential from `initialMs`, capped at `maxMs`,
 * with jitter so entries that failed together (a receiver restart) don't retry in lockstep.
 * The cap is also the longest a change waits after its receiver comes back.
 */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
}

export function retryDelay(attempts: number, { initialMs, maxMs }: RetryBackoff, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, initialMs * 2 ** Math.min(attempts, 30));
  return Math.round(exponential * (0.5 + random() * 0.5));
}
