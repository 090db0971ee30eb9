import { Command } from 'commander';

export function startserviceCommand(): Command {
  return new Command('startservice')
    .description('scaffold a CRUD service: proto, model, migration, gRPC service, REST views, registration and a test')
    .argument('<name>', 'service name: lower-case words joined by - or _ (for example orders)')
    .option('-m, --model <spec>', 'the model: Name:field:type,… with types string, text, int, bigint, float, bool, uuid, date or datetime (a timestamp: a string in proto, ISO 8601 in JSON; ? = optional), e.g. Order:title:string,quantity:int,note:text?')
    .option('--dir <dir>', 'the project root', '.')
    .option('--force', 'overwrite files that exist')
    .action(async (name: string, opts: { model?: string; dir: string; force?: boolean }) => {
      const { startService } = await import('../scaffold/service.js');
      const started = startService({ root: opts.dir, name, model: opts.model, force: opts.force });
      const { spec, ports, files } = started;
      process.stdout.write(
        [
          `created service ${name} (model ${spec.model.Pascal}: ${spec.fields.map((f) => `${f.snake}:${f.type}${f.nullable ? '?' : ''}`).join(', ')}; ` +
            `REST on base+${ports.rest}, gRPC on base+${ports.grpc})`,
          ...files.map((file) => `  ${file}`),
          'next:',
          '  npm run build                                   # mgrpc codegen + tsc',
          `  npx vitest run services/${name}/${name}.test.ts`,
          `  npx mgrpc runserver --service ${name} --migrate  # or grpcrunserver; mgrpc up starts it too`,
          '',
        ].join('\n'),
      );
    });
}
