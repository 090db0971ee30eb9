import { Command } from 'commander';

export function showmigrationsCommand(): Command {
  return new Command('showmigrations')
    .description("list each service's migrations: [X] applied, [ ] pending, in the database the service uses (all services by default)")
    .option('-s, --service <name>', 'only this service')
    .action(async (opts: { service?: string }) => {
      const { loadDotenv, serviceMigrationStates } = await import('../../services/framework/index.js');
      const { assertBuilt } = await import('../migrations/migrations-folder.js');
      const { servicesFor } = await import('../migrations/services.js');
      loadDotenv();
      for (const module of await servicesFor(opts.service)) {
        assertBuilt(module.name);
        const { url, created, states, unknown } = await serviceMigrationStates(module);
        const lines = [
          `${module.name} (${url}${created ? '' : ', not created yet'})`,
          ...states.map((s) => ` [${s.applied ? 'X' : ' '}] ${s.name}`),
          ...unknown.map((name) => ` [?] ${name} (applied, but no migration has this name: renamed or deleted?)`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
    });
}
