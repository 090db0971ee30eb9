/**
 * Missing required values: in a terminal the user is asked (an ink form, loaded only then);
 * anywhere else (pipes, CI, scripts) it is a usage error naming what is missing.
 */
import { UsageError } from '../handle-error.js';

/** Both ends are a terminal: someone can answer a question. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/**
 * `value` when given; otherwise the answer of `ask` in a terminal, or a UsageError
 * carrying `missing` (one line saying what is missing and how to pass it).
 *
 * @example
 *   const title = await valueOrAsk(opts.title, 'missing --title: …', () => askText({ label: 'Title' }));
 */
export async function valueOrAsk<T>(value: T | undefined, missing: string, ask: () => Promise<T>): Promise<T> {
  if (value !== undefined) return value;
  if (!isInteractive()) throw new UsageError(missing);
  return ask();
}

/** Thrown when the user leaves a form with Esc or Ctrl+C: nothing was sent. */
export class PromptCancelled extends Error {
  constructor() {
    super('cancelled: nothing was sent');
    this.name = 'PromptCancelled';
  }
}
