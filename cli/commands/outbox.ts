/**
 * `mgrpc outbox`: what each service still has to deliver to its peers, read straight from
 * its database (works whether or not the servers run; cli/outbox/report.ts), which it never
 * creates or migrates. `--retry-failed`
 * puts entries the receiver refused back in the queue once the cause is fixed.
 */
import { Command } from 'commander';

interface OutboxOptions {
  service?: string;
  json?: boolean;
  list?: boolean;
  retryFailed?: boolean;
  dataDir?: string;
}

export function outboxCommand(): Command {
  return new Command('outbox')
    .description('show the changes each service has not yet delivered to the other (pending and failed outbox entries)')
    .option('-s, --service <name>', 'only this service')
    .option('--list', 'list the entries themselves (oldest 100 per service)')
    .option('--retry-failed', 'queue entries the receiver refused again (after fixing the cause)')
    .option('--data-dir <dir>', "where the SQLite files are (default: $MGRPC_DATA_DIR, else the running `mgrpc up`'s, else ./data; <NAME>_DATABASE_URL wins)")
    .option('--json', 'print JSON')
    .action(async (opts: OutboxOptions) => {
      const { loadDotenv } = await import('../../services/framework/index.js');
      const { formatOutboxReport, outboxReport } = await import('../outbox/report.js');
      loadDotenv();
      const now = Date.now();
      const report = await outboxReport(opts, now);
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatOutboxReport(report, now));
      // A database that is missing or not migrated is not an empty outbox.
      if (report.some((service) => 'error' in service)) process.exitCode = 1;
    });
}
