import { Command } from 'commander';

export function shellCommand(): Command {
  return new Command('shell')
    .description("a Node REPL with a service's models and its database connection (db) in scope; top-level await works; piped input is run and the shell exits")
    .requiredOption('-s, --service <name>', 'the service whose models and database to use')
    .action(async (opts: { service: string }) => {
      const { loadDotenv } = await import('../../services/framework/index.js');
      const { assertBuilt } = await import('../migrations/migrations-folder.js');
      const { servicesFor } = await import('../migrations/services.js');
      const { startShell } = await import('../shell/start-shell.js');
      loadDotenv();
      const [module] = await servicesFor(opts.service);
      assertBuilt(module!.name);
      process.exitCode = await startShell(module!, { input: process.stdin, output: process.stdout });
    });
}
