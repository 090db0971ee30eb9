/**
 * The writes `mgrpc ui` makes, each turned into one status line: what happened, or the
 * server's own message when it refused. They never reject, so a failed request can only
 * change the status line, never end the console.
 */
import type { DashboardApi, ProductApi } from '../../client/api.js';
import { plural, printable } from '../../client/format.js';

export interface StatusLine {
  tone: 'info' | 'success' | 'warning' | 'error';
  text: string;
}

export interface ConsoleApi {
  dashboard: DashboardApi;
  product: ProductApi;
}

/** A product as the actions name it in their messages. */
export interface Target {
  id: string;
  title: string;
}

/** Titles are shortened so the outcome at the end of the line still fits on it. */
function quoted(title: string): string {
  const safe = printable(title);
  return `'${safe.length > 30 ? `${safe.slice(0, 29)}…` : safe}'`;
}

async function attempt<T extends StatusLine>(run: () => Promise<T>): Promise<T | StatusLine> {
  try {
    return await run();
  } catch (err) {
    return { tone: 'error', text: printable(err instanceof Error ? err.message : String(err)) };
  }
}

/** A blank image means none. The outcome names the new product's id, to select it. */
export function createProduct(api: ConsoleApi, title: string, image: string): Promise<StatusLine & { id?: string }> {
  return attempt(async () => {
    const { data } = await api.dashboard.createProduct(image === '' ? { title } : { title, image });
    return { tone: 'success', text: `created ${quoted(data.title)}`, id: data.id };
  });
}

/** A blank image removes it. */
export function editProduct(api: ConsoleApi, target: Target, title: string, image: string): Promise<StatusLine> {
  return attempt(async () => {
    const { data } = await api.dashboard.updateProduct(target.id, { title, image: image === '' ? null : image });
    return { tone: 'success', text: `updated ${quoted(data.title)}${data.image ? '' : ' (no image)'}` };
  });
}

export function deleteProduct(api: ConsoleApi, target: Target): Promise<StatusLine> {
  return attempt(async () => {
    await api.dashboard.deleteProduct(target.id);
    return { tone: 'success', text: `deleted ${quoted(target.title)}` };
  });
}

/**
 * Likes through the product service, as `userId` or (undefined) a user it picks at random.
 * 200 means the dashboard counted it; 202 means the like is recorded and waits for the dashboard.
 */
export function likeProduct(api: ConsoleApi, target: Target, userId: string | undefined): Promise<StatusLine> {
  return attempt(async () => {
    const { status, data } = await api.product.like(target.id, userId);
    const who = `user ${data.user_id.slice(0, 8)}`;
    if (status === 202 || data.likes === undefined) return { tone: 'warning', text: `liked ${quoted(target.title)} as ${who}: pending (dashboard unreachable)` };
    return { tone: 'success', text: `liked ${quoted(target.title)} as ${who}: counted: ${plural(data.likes, 'like')}` };
  });
}
