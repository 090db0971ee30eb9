/**
 * What `mgrpc outbox` shows: each service's undelivered outbox entries, read straight from its
 * database (whether or not the servers run), optionally after queueing refused ones again.
 * The database is found as the services find it (<NAME>_DATABASE_URL, else a SQLite file in
 * the data directory: --data-dir, MGRPC_DATA_DIR, the running `mgrpc up`'s, ./data), and
 * opened as it is: a missing file is reported with its path, never created, never migrated.
 *
 * @example
 *   const report = await outboxReport({ list: true }, Date.now());
 *   process.stdout.write(formatOutboxReport(report, now));
 */
import { existsSync } from 'node:fs';

import {
  Outbox,
  createLogger,
  databaseOptionsFromEnv,
  databaseUrlFor,
  dialectOf,
  openDatabase,
  pendingMigrations,
  redactUrl,
  serviceMigrations,
  sqliteStorage,
} from '../../services/framework/index.js';
import { formatTable, printable } from '../client/format.js';
import { dataDir as resolveDataDir } from '../context/resolve.js';
import { loadRegistry } from '../project-registry.js';

export interface OutboxReportOptions {
  /** Only this service (default: all). */
  service?: string;
  /** With the entries themselves (oldest 100 per service). */
  list?: boolean;
  /** Queue entries the receiver refused again first. */
  retryFailed?: boolean;
  /** Where the SQLite files are (default: MGRPC_DATA_DIR, the running `up`'s, ./data). */
  dataDir?: string;
}

type Stats = Awaited<ReturnType<Outbox['stats']>>;
type Entries = Awaited<ReturnType<Outbox['entries']>>;

export type ServiceOutbox =
  | { service: string; database: string; error: string }
  | { service: string; database: string; requeued?: number; topics: Stats; entries?: Entries };

export async function outboxReport(options: OutboxReportOptions, now: number, env: NodeJS.ProcessEnv = process.env): Promise<ServiceOutbox[]> {
  const { SERVICE_NAMES, loadService } = await loadRegistry();
  const dir = resolveDataDir(options.dataDir, env);
  const where = { ...env, MGRPC_DATA_DIR: dir.value };
  const report: ServiceOutbox[] = [];
  for (const name of options.service ? [options.service] : SERVICE_NAMES) {
    const module = await loadService(name);
    const url = databaseUrlFor(name, where);
    const upDatabase = dir.databases?.[name];
    if (upDatabase && dialectOf(url) === 'sqlite') {
      const variable = `${name.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`;
      report.push({ service: name, database: upDatabase, error: `${dir.from} keeps it on ${upDatabase}: set ${variable} (with the password) to read it` });
      continue;
    }
    if (dialectOf(url) === 'sqlite' && !existsSync(sqliteStorage(url))) {
      // From a running `up`'s data dir, the likely cause is a service added after it started.
      const fix = dir.from.includes('`mgrpc up`')
        ? `that \`mgrpc up\` has not run ${name} (added after it started?): restart \`mgrpc up\``
        : 'pass --data-dir, or set MGRPC_DATA_DIR, to where `mgrpc up` keeps it';
      report.push({ service: name, database: redactUrl(url), error: `no database at ${sqliteStorage(url)} (data dir from ${dir.from}): ${fix}` });
      continue;
    }
    const sequelize = await openDatabase(url, { ...databaseOptionsFromEnv(env), connectRetryMs: 0, access: options.retryFailed ? 'write' : 'read' });
    try {
      const pending = await pendingMigrations(sequelize, serviceMigrations(module));
      if (pending.length > 0) {
        const how = dialectOf(url) === 'sqlite' ? `MGRPC_DATA_DIR=${dir.value} mgrpc migrate --service ${name}` : `mgrpc migrate --service ${name}`;
        report.push({ service: name, database: redactUrl(url), error: `not migrated (run \`${how}\`)` });
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
