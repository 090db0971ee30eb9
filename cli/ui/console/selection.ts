/**
 * Which row is highlighted and which part of the table is shown. The selection follows a
 * product by id across refreshes (rows come and go while the user looks); when that
 * product is gone it stays at the same position.
 */
import type { ProductRow } from './system-snapshot.js';

export interface Selection {
  id?: string;
  index: number;
}

/** The row index `selection` points at in `rows` now (0 for an empty table). */
export function selectedIndex(rows: readonly ProductRow[], selection: Selection): number {
  const byId = selection.id === undefined ? -1 : rows.findIndex((row) => row.id === selection.id);
  if (byId >= 0) return byId;
  return Math.max(0, Math.min(selection.index, rows.length - 1));
}

/** The selection `delta` rows away (clamped to the table), e.g. -1 for ↑. */
export function moveSelection(rows: readonly ProductRow[], selection: Selection, delta: number): Selection {
  if (rows.length === 0) return { index: 0 };
  const index = Math.max(0, Math.min(selectedIndex(rows, selection) + delta, rows.length - 1));
  return { id: rows[index].id, index };
}

/**
 * The first row to show: the previous one when `index` is still visible, otherwise just
 * enough scrolling to bring it into view (no jumping around while moving inside the page).
 */
export function scrollTop(previousTop: number, index: number, height: number, count: number): number {
  let top = previousTop;
  if (index < top) top = index;
  else if (index >= top + height) top = index - height + 1;
  return Math.max(0, Math.min(top, count - height));
}
