/**
 * `mgrpc outbox`: what each service still has to deliver to its peers, read straight from
 * its database (works whether or not the servers run). `--retry-failed` puts entries the
 * receiver refused back in the queue once the cause is fixed.
 */
import { Command } from 'commander';

interface OutboxOptions {
  service?: string;
  json?: boolean;
  list?: boolean;
  retryFailed?: boolean;
}

function age(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function outboxCommand(): Command {
  return new Command('outbox')
    .description('show the changes each service has not yet delivered to the other (pending and failed outbox entries)')
    .option('-s, --service <name>', 'only this service')
    .option('--list', 'list the entries themselves (oldest 100 per service)')
    .option('--retry-failed', 'queue entries the receiver refused again (after fixing the cause)')
    .option('--json', 'print JSON')
    .action(async (opts: OutboxOptions) => {
      const { Outbox, createLogger, databaseUrlFor, loadDotenv, openDatabase, pendingMigrations, redactUrl, serviceMigrations } = await import(
        '../../services/framework/index.js'
      );
      const { SERVICE_NAMES, loadService } = await (await import('../project-registry.js')).loadRegistry();
      const { formatTable, printable } = await import('../client/format.js');
      loadDotenv();
      const now = Date.now();
      const report = [];
      for (const name of opts.service ? [opts.service] : SERVICE_NAMES) {
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
          const requeued = opts.retryFailed ? await outbox.store.requeueFailed(now) : undefined;
          report.push({
            service: name,
            database: redactUrl(url),
            ...(requeued === undefined ? {} : { requeued }),
            topics: await outbox.stats(),
            ...(opts.list ? { entries: await outbox.entries(100) } : {}),
          });
        } finally {
          await sequelize.close();
        }
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      for (const service of report) {
        if ('error' in service) {
          process.stdout.write(`${service.service}: ${service.error}\n`);
          continue;
        }
        if (service.requeued !== undefined) process.stdout.write(`${service.service}: ${service.requeued} failed entries queued again\n`);
        if (service.topics.length === 0) {
          process.stdout.write(`${service.service}: nothing pending\n`);
          continue;
        }
        const total = service.topics.filter((t) => t.state === 'pending').reduce((sum, t) => sum + t.count, 0);
        process.stdout.write(`${service.service}: ${total} pending\n`);
        const rows = service.topics.map((t) => [
          t.topic,
          t.state,
          String(t.count),
          age(now - t.oldestCreatedAt),
          t.state === 'pending' ? (t.nextAttemptAt <= now ? 'now' : `in ${age(t.nextAttemptAt - now)}`) : '-',
          String(t.maxAttempts),
        ]);
        process.stdout.write(formatTable(['topic', 'state', 'count', 'oldest', 'next attempt', 'attempts'], rows).replace(/^(?=.)/gm, '  '));
        for (const entry of service.entries ?? []) {
          const error = entry.lastError ? `  ${printable(entry.lastError)}` : '';
          process.stdout.write(`  #${entry.id} ${entry.topic} ${entry.state} key=${entry.orderingKey ?? '-'} attempts=${entry.attempts}${error}\n`);
        }
      }
    });
}
