import path from 'node:path';

import { Command } from 'commander';

import { MigrationError } from '../migrations/migration-error.js';

interface Options {
  service?: string;
  name?: string;
  check?: boolean;
  dryRun?: boolean;
}

export function makemigrationsCommand(): Command {
  return new Command('makemigrations')
    .description("write a migration for what changed in a service's models since its migrations (all services by default)")
    .option('-s, --service <name>', 'only this service')
    .option('-n, --name <slug>', 'the file name after the number, e.g. add-product-price (default: made from the changes)')
    .option('--check', 'write nothing; exit 1 and print the differences if models and migrations differ (for CI)')
    .option('--dry-run', 'print what would be written, write nothing')
    .action(async (opts: Options) => {
      if (opts.name !== undefined && !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(opts.name)) {
        throw new MigrationError(`--name '${opts.name}': use lower-case words joined by -, e.g. add-product-price`);
      }
      const { detectChanges, renderMigration, suggestSlug } = await import('../migrations/make-migration.js');
      const { addMigration, assertBuilt, migrationsFolder } = await import('../migrations/migrations-folder.js');
      const { servicesFor } = await import('../migrations/services.js');
      const modules = await servicesFor(opts.service);
      let differ = false;
      for (const module of modules) {
        assertBuilt(module.name);
        const operations = await detectChanges(module);
        const summary = operations.map((op) => `  ${op.summary}\n`).join('');
        if (operations.length === 0) {
          process.stdout.write(`${module.name}: no changes detected\n`);
          continue;
        }
        differ = true;
        if (opts.check) {
          process.stdout.write(`${module.name}: models and migrations differ (run \`mgrpc makemigrations --service ${module.name}\`):\n${summary}`);
          continue;
        }
        const folder = migrationsFolder(module.name);
        const slug = opts.name ?? suggestSlug(operations);
        const render = (name: string, exported: string) => renderMigration({ service: module.name, name, exported, frameworkImport: folder.frameworkImport, operations });
        if (opts.dryRun) {
          process.stdout.write(`${module.name}: would write ${path.relative(folder.root, path.join(folder.dir, `${folder.nextNumber}-${slug}.ts`))}\n${summary}`);
          continue;
        }
        const file = addMigration(folder, slug, render);
        process.stdout.write(`${module.name}: wrote ${path.relative(folder.root, file)}\n${summary}`);
      }
      if (opts.check && differ) process.exitCode = 1;
    });
}
