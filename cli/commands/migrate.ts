import { Command } from 'commander';

import { UsageError } from '../handle-error.js';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description("apply pending migrations to a service's database (all services by default), or move one service to a migration with --to")
    .option('-s, --service <name>', 'only this service')
    .option('--to <migration>', "apply or revert (newest first, through each one's down) until this migration is the last applied: its number (3), name (0003-add-price), or 0 for none; needs --service")
    .action(async (opts: { service?: string; to?: string }) => {
      if (opts.to !== undefined && opts.service === undefined) throw new UsageError('--to moves one service: add --service NAME');
      const { loadDotenv, migrateService, migrateServiceTo } = await import('../../services/framework/index.js');
      const { assertBuilt } = await import('../migrations/migrations-folder.js');
      const { servicesFor } = await import('../migrations/services.js');
      loadDotenv();
      for (const module of await servicesFor(opts.service)) {
        assertBuilt(module.name);
        if (opts.to === undefined) {
          const { url, applied } = await migrateService(module);
          process.stdout.write(applied.length > 0 ? `${module.name}: applied ${applied.join(', ')} (${url})\n` : `${module.name}: no migrations to apply (${url})\n`);
          continue;
        }
        const { targetMigration } = await import('../migrations/target.js');
        const { url, applied, reverted } = await migrateServiceTo(module, targetMigration(module, opts.to));
        const done = [applied.length > 0 ? `applied ${applied.join(', ')}` : '', reverted.length > 0 ? `reverted ${reverted.join(', ')}` : ''].filter(Boolean);
        process.stdout.write(`${module.name}: ${done.length > 0 ? done.join('; ') : `already at ${opts.to}`} (${url})\n`);
      }
    });
}
