import { Command } from 'commander';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description("apply pending migrations to a service's database (all services by default)")
    .option('-s, --service <name>', 'only this service')
    .action(async (opts: { service?: string }) => {
      const { loadDotenv, migrateService } = await import('../../services/framework/index.js');
      const { SERVICE_NAMES, loadService } = await (await import('../project-registry.js')).loadRegistry();
      loadDotenv();
      for (const name of opts.service ? [opts.service] : SERVICE_NAMES) {
        const { url, applied } = await migrateService(await loadService(name));
        process.stdout.write(
          applied.length > 0 ? `${name}: applied ${applied.join(', ')} (${url})\n` : `${name}: no migrations to apply (${url})\n`,
        );
      }
    });
}
