/**
 * Where a request handler waits for the first delivery attempt of what it just enqueued
 * ("was the like counted, or is it pending?"). Outcomes that arrive before anyone waits are
 * kept briefly in a bounded map, since the relay may finish before the handler asks.
 */
import type { AppError } from '../errors.js';

export type DeliveryOutcome<R = unknown> =
  | { status: 'delivered'; result: R }
  | { status: 'pending'; error?: AppError }
  | { status: 'failed'; error: AppError };

const KEEP = 10_000;

export class Outcomes {
  private readonly waiters = new Map<number, (outcome: DeliveryOutcome) => void>();
  private readonly early = new Map<number, DeliveryOutcome>();

  settle(id: number, outcome: DeliveryOutcome): void {
    const waiter = this.waiters.get(id);
    if (waiter) {
      this.waiters.delete(id);
      waiter(outcome);
      return;
    }
    this.early.set(id, outcome);
    if (this.early.size > KEEP) this.early.delete(this.early.keys().next().value!);
  }

  /** The first attempt's outcome, or `pending` if it takes longer than `timeoutMs`. */
  wait(id: number, timeoutMs: number): Promise<DeliveryOutcome> {
    const known = this.early.get(id);
    if (known) {
      this.early.delete(id);
      return Promise.resolve(known);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve({ status: 'pending' });
      }, timeoutMs);
      this.waiters.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  }
}
