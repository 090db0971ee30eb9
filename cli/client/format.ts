/**
 * Human-readable output of the client commands: a table for lists, a `key: value` block
 * or one confirmation line for single results. (`--json` bypasses all of this.)
 */
import type { CreatedUser, LikeResult, Product, ProductCopy } from './types.js';

const NONE = '-';

/** Server text is untrusted: control characters (escape sequences…) are shown, not obeyed. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\t' ? ' ' : '\uFFFD'));
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Left-aligned columns separated by two spaces, a header row, no trailing spaces.
 *
 * @example
 *   formatTable(['id', 'title'], [['1', 'Pen']]) // "id  title\n1   Pen\n"
 */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

/** Dashboard products (with likes) or the product service's copies (without). */
export function formatProductList(products: readonly (Product | ProductCopy)[]): string {
  if (products.length === 0) return 'no products yet: create one with `mgrpc product create --title <title>`\n';
  const withLikes = products.every((p) => typeof (p as Product).likes === 'number');
  const header = withLikes ? ['id', 'title', 'likes', 'image'] : ['id', 'title', 'image'];
  const rows = products.map((p) => {
    const cells = [p.id, printable(p.title)];
    if (withLikes) cells.push(String((p as Product).likes));
    cells.push(p.image ? printable(p.image) : NONE);
    return cells;
  });
  return formatTable(header, rows);
}

/** A `key: value` block of one product, keys aligned. */
export function formatProduct(product: Product | ProductCopy): string {
  const entries: [string, string][] = [
    ['id', product.id],
    ['title', printable(product.title)],
    ...('likes' in product ? ([['likes', String(product.likes)]] as [string, string][]) : []),
    ['image', product.image ? printable(product.image) : NONE],
    ['created_at', product.created_at],
    ['updated_at', product.updated_at],
  ];
  const width = Math.max(...entries.map(([key]) => key.length)) + 1;
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`).join('\n') + '\n';
}

const named = (product: { id: string; title: string }) => `'${printable(product.title)}' (${product.id})`;

export function formatCreated(product: Product): string {
  return `created ${named(product)}\n`;
}

export function formatUpdated(product: Product): string {
  return `updated ${named(product)} — ${product.image ? `image: ${printable(product.image)}` : 'no image'}\n`;
}

export function formatDeleted(id: string): string {
  return `deleted product ${id}\n`;
}

/** `title` comes from a second, best-effort lookup: the like answer has only the id. */
export function formatLiked(result: LikeResult, title?: string): string {
  const what = title === undefined ? `product ${result.product_id}` : named({ id: result.product_id, title });
  if (result.likes === undefined) return `liked ${what} as user ${result.user_id}: pending, the dashboard is unreachable; it is counted when it is back\n`;
  return `liked ${what} as user ${result.user_id}: ${plural(result.likes, 'like')}\n`;
}

export function formatUserCreated(user: CreatedUser): string {
  return `created user ${user.id}\n`;
}

/** `--json`: the server's document exactly, newline-terminated. */
export function jsonOutput(raw: string): string {
  return raw.endsWith('\n') ? raw : `${raw}\n`;
}
