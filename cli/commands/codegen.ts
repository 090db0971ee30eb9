import { Command } from 'commander';

import { UsageError } from '../handle-error.js';

export function codegenCommand(): Command {
  return new Command('codegen')
    .description('compile protos/ into the shared typed stub package (services/stubs)')
    .option('--protos <dir>', 'directory holding the .proto files', 'protos')
    .option('--out <dir>', 'output directory of the stub package', 'services/stubs')
    .option('--check', 'exit non-zero if the stubs on disk are missing or stale; write nothing')
    .option('-w, --watch', 'regenerate whenever a .proto changes (Ctrl-C stops)')
    .action(async (opts: { protos: string; out: string; check?: boolean; watch?: boolean }) => {
      if (opts.watch) {
        if (opts.check) throw new UsageError('--watch and --check cannot be combined: --check writes nothing, --watch regenerates');
        const { watchCodegen } = await import('../codegen/watch.js');
        const watcher = watchCodegen({
          protoDir: opts.protos,
          outDir: opts.out,
          report: (line, ok) => (ok ? process.stdout : process.stderr).write(`${line}\n`),
        });
        process.stdout.write(`watching ${opts.protos} for .proto changes (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await watcher.close();
        return;
      }
      const { runCodegen } = await import('../codegen/write.js');
      const result = await runCodegen({ protoDir: opts.protos, outDir: opts.out, check: Boolean(opts.check) });
      // Failures (stale stubs, a syntax error) go to stderr, where scripts and CI look for them.
      (result.ok ? process.stdout : process.stderr).write(`${result.message}\n`);
      if (!result.ok) process.exitCode = 1;
    });
}
