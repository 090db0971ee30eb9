import { noteSlowWait } from './wait.js';

/**
 * Polls `attempt` every 100 ms until `ok` holds, and returns that value: an event, not a
 * time budget (see noteSlowWait in wait.ts); after `patienceMs` it says once on stderr that
 * it still waits, with the last value.
 */
export async function eventually<T>(attempt: () => Promise<T>, ok: (value: T) => boolean, patienceMs = 5000): Promise<T> {
  let last: T | undefined;
  const note = noteSlowWait(`a value to hold (${ok.toString().slice(0, 80)})`, Date.now(), patienceMs, () => JSON.stringify(last)?.slice(0, 500) ?? 'undefined');
  for (;;) {
    const value = await attempt();
    if (ok(value)) return value;
    last = value;
    note();
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; results in order. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
