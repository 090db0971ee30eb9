import { describe, expect, it } from 'vitest';

import { moveSelection, scrollTop, selectedIndex } from './selection.js';
import type { ProductRow } from './system-snapshot.js';

const rows = (...ids: string[]): ProductRow[] => ids.map((id) => ({ id, title: id, image: null, likes: 0, sync: 'synced' }));

describe('selection', () => {
  it('follows the product by id when rows move, and keeps the position when it is gone', () => {
    expect(selectedIndex(rows('a', 'b', 'c'), { id: 'c', index: 2 })).toBe(2);
    expect(selectedIndex(rows('x', 'a', 'b', 'c'), { id: 'c', index: 2 })).toBe(3);
    expect(selectedIndex(rows('a', 'b', 'd'), { id: 'c', index: 2 })).toBe(2);
    expect(selectedIndex(rows('a'), { id: 'c', index: 2 })).toBe(0);
    expect(selectedIndex([], { index: 5 })).toBe(0);
  });

  it('moves within the table, clamped at both ends', () => {
    const table = rows('a', 'b', 'c');
    expect(moveSelection(table, { id: 'a', index: 0 }, 1)).toEqual({ id: 'b', index: 1 });
    expect(moveSelection(table, { id: 'a', index: 0 }, -1)).toEqual({ id: 'a', index: 0 });
    expect(moveSelection(table, { id: 'b', index: 1 }, 15)).toEqual({ id: 'c', index: 2 });
    expect(moveSelection([], { index: 3 }, 1)).toEqual({ index: 0 });
  });

  it('scrolls only as far as needed to keep the selection visible', () => {
    expect(scrollTop(0, 5, 10, 30)).toBe(0);
    expect(scrollTop(0, 10, 10, 30)).toBe(1);
    expect(scrollTop(5, 3, 10, 30)).toBe(3);
    expect(scrollTop(5, 8, 10, 30)).toBe(5);
    expect(scrollTop(25, 29, 10, 30)).toBe(20);
    expect(scrollTop(4, 0, 10, 3)).toBe(0);
  });
});
