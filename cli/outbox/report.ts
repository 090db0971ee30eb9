/**
 * What `mgrpc outbox` shows: each service's undelivered outbox entries, read straight from its
 * database (whether or not the servers run), optionally after queueing refused ones again.
 *
 * @example
 *   const report = await outboxReport({ list: true }, Date.now());
 *   process.stdout.write(formatOutboxReport(report, now));
 */
import { Outbox, createLogger, databaseUrlFor, openDatabase, pendingMigrations, redactUrl, serviceMigrations } from '../../services/framework/index.js';
import { formatTable, printable } from '../client/format.js';
import { loadRegistry } from '../project-registry.js';

export interface OutboxReportOptions {
  /** Only this service (default: all). */
  service?: string;
  /** With the entries themselves (oldest 100 per service). */
  list?: boolean;
  /** Queue entries the receiver refused again first. */
  retryFailed?: boolean;
}

type Stats = Awaited<ReturnType<Outbox['stats']>>;
type Entries = Awaited<ReturnType<Outbox['entries']>>;

export type ServiceOutbox =
  | { service: string; database: string; error: string }
  | { service: string; database: string; requeued?: number; topics: Stats; entries?: Entries };

export async function outboxReport(options: OutboxReportOptions, now: number): Promise<ServiceOutbox[]> {
  const { SERVICE_NAMES, loadService } = await loadRegistry();
  const report: ServiceOutbox[] = [];
  for (const name of options.service ? [options.service] : SERVICE_NAMES) {
    const module = await loadService(name);
    const url = databaseUrlFor(name);
    const sequelize = await openDatabase(url);
    try {
      const pending = await pendingMigrations(sequelize, serviceMigrations(module));
      if (pending.length > 0) {
        report.push({ service: name, database: redactUrl(url), error: `not migrated (run \`mgrpc migrate --service ${name}\`)` });
        continue;
      }
      const outbox = new Outbox(sequelize, { logger: createLogger('outbox') });
      const requeued = options.retryFailed ? await outbox.store.requeueFailed(now) : undefined;
      report.push({
        service: name,
        database: redactUrl(url),
        ...(requeued === undefined ? {} : { requeued }),
        topics: await outbox.stats(),
        ...(options.list ? { entries: await outbox.entries(100) } : {}),
      });
    } finally {
      await sequelize.close();
    }
  }
  return report;
}

function age(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Per service: how many are pending, a table by topic and state, and the entries if listed. */
export function formatOutboxReport(report: ServiceOutbox[], now: number): string {
  let out = '';
  for (const service of report) {
    if ('error' in service) {
      out += `${service.service}: ${service.error}\n`;
      continue;
    }
    if (service.requeued !== undefined) out += `${service.service}: ${service.requeued} failed entries queued again\n`;
    if (service.topics.length === 0) {
      out += `${service.service}: nothing pending\n`;
      continue;
    }
    const total = service.topics.filter((t) => t.state === 'pending').reduce((sum, t) => sum + t.count, 0);
    out += `${service.service}: ${total} pending\n`;
    const rows = service.topics.map((t) => [
      t.topic,
      t.state,
      String(t.count),
      age(now - t.oldestCreatedAt),
      t.state === 'pending' ? (t.nextAttemptAt <= now ? 'now' : `in ${age(t.nextAttemptAt - now)}`) : '-',
      String(t.maxAttempts),
    ]);
    out += formatTable(['topic', 'state', 'count', 'oldest', 'next attempt', 'attempts'], rows).replace(/^(?=.)/gm, '  ');
    for (const entry of service.entries ?? []) {
      const error = entry.lastError ? `  ${printable(entry.lastError)}` : '';
      out += `  #${entry.id} ${entry.topic} ${entry.state} key=${entry.orderingKey ?? '-'} attempts=${entry.attempts}${error}\n`;
    }
  }
  return out;
}
