/** The outbox: what is waiting per topic, the oldest entries, and the retry of refused ones. */
import type { StoredEntry, TopicStats } from '../../outbox/store.js';
import { html, type Html } from '../html.js';

function age(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function outboxPage(view: { topics: TopicStats[]; entries: StoredEntry[]; now: number; csrf: string; notice?: string; limit: number }): Html {
  const failed = view.topics.filter((t) => t.state === 'failed').reduce((n, t) => n + t.count, 0);
  const pending = view.topics.filter((t) => t.state === 'pending').reduce((n, t) => n + t.count, 0);
  return html`
${view.notice ? html`<div class="notice" role="status">${view.notice}</div>` : ''}
<div class="card">
  <p><strong data-outbox="pending">${pending}</strong> pending, <strong data-outbox="failed">${failed}</strong> failed (refused by the receiver; kept until queued again).</p>
  <form method="post" action="/admin/outbox/retry">
    <input type="hidden" name="_csrf" value="${view.csrf}">
    <button type="submit"${failed === 0 ? html` class="secondary"` : ''}>Retry failed entries</button>
    <a class="button secondary" href="/admin/outbox">Refresh</a>
  </form>
</div>
<table>
<thead><tr><th>Topic</th><th>State</th><th>Count</th><th>Oldest</th><th>Next attempt</th><th>Attempts</th></tr></thead>
<tbody>
${view.topics.map(
  (t) => html`<tr><td class="mono">${t.topic}</td><td><span class="badge ${t.state}">${t.state}</span></td><td class="num">${t.count}</td><td>${age(view.now - t.oldestCreatedAt)}</td><td>${t.state === 'pending' ? (t.nextAttemptAt <= view.now ? 'now' : `in ${age(t.nextAttemptAt - view.now)}`) : '—'}</td><td class="num">${t.maxAttempts}</td></tr>`,
)}
${view.topics.length === 0 ? html`<tr><td colspan="6" class="muted">Nothing pending: every change has reached its service.</td></tr>` : ''}
</tbody>
</table>
${view.entries.length > 0
  ? html`<h2>Oldest ${view.limit} entries</h2>
<table>
<thead><tr><th>#</th><th>Topic</th><th>State</th><th>Key</th><th>Attempts</th><th>Age</th><th>Last error</th></tr></thead>
<tbody>
${view.entries.map(
  (e) => html`<tr data-entry="${e.id}"><td class="num">${e.id}</td><td class="mono">${e.topic}</td><td><span class="badge ${e.state === 'failed' ? 'failed' : 'pending'}">${e.state}</span></td><td class="mono">${e.orderingKey ?? '—'}</td><td class="num">${e.attempts}</td><td>${age(view.now - e.createdAt)}</td><td>${e.lastError ?? ''}</td></tr>`,
)}
</tbody>
</table>`
  : ''}`;
}
