import { describe, expect, it } from 'vitest';

import { outOfReach, type BoundSide } from './verdicts.js';

const side = (kind: BoundSide['kind'], reachable: boolean, beatenByOurs = false): BoundSide => ({ kind, reachable, beatenByOurs });

describe('outOfReach', () => {
  it('is never said of a met target', () => {
    expect(outOfReach(true, [side('any', false)])).toBe(false);
  });

  it('holds when a bound that holds for any server missed too and ours did no better', () => {
    expect(outOfReach(false, [side('any', false)])).toBe(true);
    expect(outOfReach(false, [side('any', true), side('any', false)])).toBe(true);
  });

  it('does not hold when every bound met the target, or ours beat the one that missed', () => {
    expect(outOfReach(false, [side('any', true), side('design', true)])).toBe(false);
    expect(outOfReach(false, [side('any', false, true)])).toBe(false);
    expect(outOfReach(false, [])).toBe(false);
  });

  it("takes a design bound's miss as proof only while no other design with the same guarantees met the target", () => {
    expect(outOfReach(false, [side('any', true), side('design', false), side('other-design', false)])).toBe(true);
    expect(outOfReach(false, [side('any', true), side('design', false), side('other-design', true)])).toBe(false);
    // The other design is no bound of ours: its miss alone proves nothing.
    expect(outOfReach(false, [side('any', true), side('other-design', false)])).toBe(false);
    // A bound that holds for any server on our layer still holds when another design met the target.
    expect(outOfReach(false, [side('any', false), side('design', false), side('other-design', true)])).toBe(true);
  });
});
