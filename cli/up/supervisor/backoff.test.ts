import { describe, expect, it } from 'vitest';

import { Backoff, formatDelay } from './backoff.js';

describe('Backoff', () => {
  it('doubles from 0.5 s and caps at 30 s', () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 10 }, () => backoff.next(100));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('starts over after a run that lasted resetAfterMs', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, resetAfterMs: 5000 });
    expect([backoff.next(0), backoff.next(0), backoff.next(4999)]).toEqual([100, 200, 400]);
    expect([backoff.next(5000), backoff.next(0)]).toEqual([100, 200]);
  });

  it('stays finite however many failures', () => {
    const backoff = new Backoff({ initialMs: 1, maxMs: 10 });
    for (let i = 0; i < 2000; i++) backoff.next(0);
    expect(backoff.next(0)).toBe(10);
  });

  it('refuses options that would busy-loop', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs/);
    expect(() => new Backoff({ initialMs: 100, maxMs: 50 })).toThrow(/maxMs/);
  });
});

describe('formatDelay', () => {
  it('prints seconds without noise', () => {
    expect([500, 1000, 2000, 30_000, 1250, 50].map(formatDelay)).toEqual(['0.5s', '1s', '2s', '30s', '1.25s', '0.05s']);
  });
});
