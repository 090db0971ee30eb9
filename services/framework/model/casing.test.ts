import { describe, expect, it } from 'vitest';

import { withArticle } from './casing.js';

describe('withArticle', () => {
  it('chooses a or an by sound, for generated sentences', () => {
    const cases = { order: 'an', item: 'an', 'audit entry': 'an', hour: 'an', product: 'a', user: 'a', unit: 'a', 'one-off': 'a', book: 'a', umbrella: 'an' };
    for (const [words, article] of Object.entries(cases)) expect(withArticle(words)).toBe(`${article} ${words}`);
  });
});
