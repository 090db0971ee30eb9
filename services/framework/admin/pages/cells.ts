/** How one value is shown in a table cell, the same on first render and in the live updates. */
import { html, type Html } from '../html.js';
import type { ColumnCell } from '../registry.js';

export interface ShownValue {
  /** What the page shows. */
  text: string;
  /** What live updates compare (the JSON value as text). */
  value: string;
  badge?: ColumnCell['badge'];
  /** A time: kept on one line. */
  time?: boolean;
}

export function shownValue(value: unknown): ShownValue {
  if (value === null || value === undefined) return { text: '—', value: '' };
  if (typeof value === 'boolean') return { text: value ? 'yes' : 'no', value: String(value) };
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return { text, value: text };
  }
  // ISO times read better as "2026-12-06 22:14:47" (UTC, as stored); the live value stays exact.
  if (typeof value === 'string' && ISO_TIME.test(value)) return { text: `${value.slice(0, 10)} ${value.slice(11, 19)}`, value, time: true };
  return { text: String(value), value: String(value) };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function shownCell(cell: ColumnCell | undefined): ShownValue {
  return cell ? { text: cell.text, value: `${cell.badge ?? ''}:${cell.text}`, badge: cell.badge } : { text: '—', value: '' };
}

export function cellContent(shown: ShownValue): Html {
  if (shown.badge) return html`<span class="badge ${shown.badge}">${shown.text}</span>`;
  return shown.value === '' ? html`<span class="null">${shown.text}</span>` : html`${shown.text}`;
}

export function isNumeric(value: unknown): boolean {
  return typeof value === 'number';
}

/** "created_at" -> "Created at". */
export function labelOf(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
