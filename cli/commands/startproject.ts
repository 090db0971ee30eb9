import { Command } from 'commander';

export function startprojectCommand(): Command {
  return new Command('startproject')
    .description('create a new mgrpc project in DIR with a first CRUD service; then: cd DIR && npm install && npm start')
    .argument('<dir>', 'the new project directory (its name is the npm package name)')
    .option('--service <name>', 'the first service', 'items')
    .option('-m, --model <spec>', "the first service's model: Name:field:type,… (see startservice --help)")
    .option('--mgrpc-spec <spec>', 'how package.json depends on mgrpc (default: file: this mgrpc checkout)')
    .option('--force', 'write into a directory that is not empty, overwriting files')
    .action(async (dir: string, opts: { service: string; model?: string; mgrpcSpec?: string; force?: boolean }) => {
      const { startProject } = await import('../scaffold/project-files.js');
      const made = startProject({ dir, service: opts.service, model: opts.model, mgrpcSpec: opts.mgrpcSpec, force: opts.force });
      process.stdout.write(
        [
          `created project ${made.dir} with service ${made.service.name}`,
          ...made.files.map((f) => `  ${f}`),
          'reused' in made.sqlite ? `npm install will reuse mgrpc's built sqlite3 (${made.sqlite.reused})` : `npm install will build sqlite3 (${made.sqlite.skipped})`,
          'next:',
          `  cd ${dir} && npm install && npm start`,
          '',
        ].join('\n'),
      );
    });
}
