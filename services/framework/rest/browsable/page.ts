/**
 * The browsable API's page (DRF's BrowsableAPIRenderer, server-rendered): the request, the
 * status and headers a JSON client would get, the JSON answer pretty-printed with its own
 * URLs as links, links to the previous and next page and to each listed item, and, where
 * the route takes writes, a form that sends a JSON body. Every value is escaped.
 */
import { STATUS_CODES } from 'node:http';

import { ASSET_PATH, escapeHtml } from './html.js';

export interface PageInput {
  service: string;
  method: string;
  /** The path and query the client asked for. */
  url: string;
  /** Origin of this server (`http://host:port`): URLs under it become links. */
  origin: string;
  status: number;
  /** Headers worth showing (Allow, …). */
  headers: Record<string, string>;
  body: unknown;
  title: string;
  /** Where each listed item is (collection path), when the answer is a list of items with an id. */
  itemBase?: string;
  /** The write form, when the route takes writes. */
  form?: { url: string; methods: string[]; body: string };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON.stringify(value, null, 2), escaped, with this server's URLs as links. */
export function renderJson(value: unknown, origin: string, indent = ''): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + renderJson(v, origin, inner)).join(',\n')}\n${indent}]`;
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${escapeHtml(JSON.stringify(k))}: ${renderJson(v, origin, inner)}`).join(',\n')}\n${indent}}`;
  }
  const text = escapeHtml(JSON.stringify(value) ?? 'null');
  if (typeof value === 'string' && (value.startsWith(`${origin}/`) || value === origin)) return `<a href="${escapeHtml(value)}">${text}</a>`;
  return text;
}

function itemsOf(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (isObject(body) && Array.isArray(body.results)) return body.results;
  return undefined;
}

function link(href: string, text: string): string {
  return `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
}

export function renderPage(input: PageInput): string {
  const { body } = input;
  const reason = STATUS_CODES[input.status] ?? '';
  const ok = input.status < 400;
  const headers = Object.entries({ 'Content-Type': 'application/json', ...input.headers })
    .map(([name, value]) => `${escapeHtml(name)}: ${escapeHtml(value)}`)
    .join('\n');
  const pager: string[] = [];
  if (isObject(body) && typeof body.previous === 'string') pager.push(link(body.previous, '« previous page'));
  if (isObject(body) && typeof body.next === 'string') pager.push(link(body.next, 'next page »'));
  const items = input.itemBase ? (itemsOf(body) ?? []).filter((item): item is Record<string, unknown> => isObject(item) && (typeof item.id === 'string' || typeof item.id === 'number')) : [];
  const links = items.map((item) => link(`${input.itemBase}/${encodeURIComponent(String(item.id))}`, String(item.id)));
  const form = input.form
    ? `
    <form id="send" data-url="${escapeHtml(input.form.url)}">
      <label>Method
        <select name="method">${input.form.methods.map((m) => `<option>${escapeHtml(m)}</option>`).join('')}</select>
      </label>
      <label>Body (JSON)
        <textarea name="body" spellcheck="false">${escapeHtml(input.form.body)}</textarea>
      </label>
      <label>API key (when the service needs one for writes)
        <input name="key" type="password" autocomplete="off">
      </label>
      <button type="submit">Send</button>
    </form>
    <pre id="result" class="result" hidden></pre>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(input.title)} · ${escapeHtml(input.service)}</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${ASSET_PATH}/browsable.css">
    <script src="${ASSET_PATH}/browsable.js" defer></script>
  </head>
  <body>
    <header><strong>${escapeHtml(input.service)}</strong> <a href="/api/">API root</a> <a href="/api/v1/doc/">docs</a> <a href="/api/v1/redoc/">redoc</a> <a href="/admin/">admin</a></header>
    <main>
    <h1>${escapeHtml(input.title)}</h1>
    <p class="request">${escapeHtml(input.method)} ${escapeHtml(input.url)}</p>
    <pre class="response"><span class="${ok ? 'status-ok' : 'status-error'}">HTTP ${input.status} ${escapeHtml(reason)}</span>
<span class="headers">${headers}</span>

${body === undefined ? '' : renderJson(body, input.origin)}</pre>
    ${pager.length > 0 ? `<p class="pager">${pager.join(' ')}</p>` : ''}
    ${links.length > 0 ? `<p class="links">Items: ${links.join(' ')}</p>` : ''}${form}
    </main>
  </body>
</html>
`;
}
