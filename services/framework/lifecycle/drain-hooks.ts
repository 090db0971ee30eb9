/**
 * The ordered steps of a graceful shutdown that run after a server stopped taking work and
 * its in-flight requests ended, and before the module teardown and the database close.
 * Each step is bounded: one that fails or overruns is logged and the next one runs, so a
 * stuck step never keeps a draining process alive. The outbox relay, for one, stops here.
 *
 * @example
 *   drainHooks.add('outbox relay', () => relay.stop(), { timeoutMs: 3000 });
 */
import type { Logger } from '../logger.js';

export type DrainHook = () => void | Promise<void>;

export interface DrainHookOptions {
  /** Longest this step may take (default 5000 ms). */
  timeoutMs?: number;
}

export const DEFAULT_DRAIN_HOOK_TIMEOUT_MS = 5000;

export class DrainHooks {
  private readonly steps: Array<{ name: string; hook: DrainHook; timeoutMs: number }> = [];

  /** Appends a step; steps run in the order they were added. */
  add(name: string, hook: DrainHook, options: DrainHookOptions = {}): void {
    this.steps.push({ name, hook, timeoutMs: options.timeoutMs ?? DEFAULT_DRAIN_HOOK_TIMEOUT_MS });
  }

  /** Runs every step once, in order, each within its bound. Never throws. */
  async run(logger: Logger): Promise<void> {
    for (const step of this.steps.splice(0)) {
      let timer: NodeJS.Timeout | undefined;
      const overran = new Promise<'overran'>((resolve) => (timer = setTimeout(() => resolve('overran'), step.timeoutMs)));
      try {
        const outcome = await Promise.race([Promise.resolve().then(step.hook), overran]);
        if (outcome === 'overran') logger.warn(`drain step '${step.name}' did not finish within ${step.timeoutMs} ms; going on`);
      } catch (err) {
        logger.error(`drain step '${step.name}' failed; going on`, { error: err instanceof Error ? err.message : String(err) });
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
