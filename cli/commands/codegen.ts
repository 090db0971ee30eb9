import { Command } from 'commander';

export function codegenCommand(): Command {
  return new Command('codegen')
    .description('compile protos/ into the shared typed stub package (services/stubs)')
    .option('--protos <dir>', 'directory holding the .proto files', 'protos')
    .option('--out <dir>', 'output directory of the stub package', 'services/stubs')
    .option('--check', 'exit non-zero if the stubs on disk are missing or stale; write nothing')
    .action(async (opts: { protos: string; out: string; check?: boolean }) => {
      const { runCodegen } = await import('../codegen/write.js');
      const result = await runCodegen({ protoDir: opts.protos, outDir: opts.out, check: Boolean(opts.check) });
      process.stdout.write(`${result.message}\n`);
      if (!result.ok) process.exitCode = 1;
    });
}
