/**
 * How long to wait before restarting a process that exited: doubling from `initialMs` up to
 * `maxMs`, and back to `initialMs` once a run lasted `resetAfterMs` (a process that crashes
 * now and then is restarted promptly; one that crashes at start-up is not restarted in a
 * busy loop).
 *
 * @example
 *   const backoff = new Backoff();
 *   backoff.next(200); // 500: crashed quickly, first time
 *   backoff.next(200); // 1000
 *   backoff.next(60_000); // 500: it had been up a minute
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  resetAfterMs?: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  private failures = 0;

  constructor({ initialMs = 500, maxMs = 30_000, resetAfterMs = 10_000 }: BackoffOptions = {}) {
    if (!(initialMs > 0 && maxMs >= initialMs && resetAfterMs > 0)) {
      throw new Error(`backoff needs 0 < initialMs <= maxMs and resetAfterMs > 0, got ${initialMs}, ${maxMs}, ${resetAfterMs}`);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.resetAfterMs = resetAfterMs;
  }

  /** The delay before the next restart, given how long the run that just ended lasted. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.resetAfterMs) this.failures = 0;
    // Capping the exponent keeps 2 ** n finite however long a process keeps failing.
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    return delay;
  }
}

/** A delay for a log line: 500 -> "0.5s", 2000 -> "2s". */
export function formatDelay(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))}s`;
}
