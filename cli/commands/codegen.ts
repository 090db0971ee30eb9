import { Command, Option } from 'commander';

import { UsageError } from '../handle-error.js';

/** Where each backend writes when --out is not given. */
const DEFAULT_OUT = { 'proto-loader': 'services/stubs', 'grpc-tools': 'services/stubs-static' } as const;

interface CodegenFlags {
  protos: string;
  out?: string;
  backend: keyof typeof DEFAULT_OUT;
  packageName?: string;
  check?: boolean;
  watch?: boolean;
  breaking?: boolean;
  against?: string;
}

export function codegenCommand(): Command {
  return new Command('codegen')
    .description('compile protos/ into the shared typed stub package (services/stubs), or check protos/ for breaking changes')
    .option('--protos <dir>', 'directory holding the .proto files', 'protos')
    .addOption(
      new Option('--backend <name>', 'proto-loader: TypeScript types over @grpc/proto-loader; grpc-tools: static code as grpc-tools writes it, with .d.ts from grpc_tools_node_protoc_ts (both must be installed)')
        .choices(Object.keys(DEFAULT_OUT))
        .default('proto-loader'),
    )
    .option('--out <dir>', `output directory of the stub package (default: ${DEFAULT_OUT['proto-loader']}, ${DEFAULT_OUT['grpc-tools']} for grpc-tools)`)
    .option('--package-name <name>', "the stub package's npm name in its package.json; with the proto-loader backend, writes a built package (JavaScript and .d.ts) for other apps, into --out")
    .option('--check', 'exit non-zero if the stubs on disk are missing or stale; write nothing')
    .option('-w, --watch', 'regenerate whenever a .proto changes (Ctrl-C stops)')
    .option('--breaking', 'list wire-breaking changes of protos/ since a git ref (exit 1 on any); generates nothing; needs @bufbuild/buf installed')
    .option('--against <ref>', 'the git ref --breaking compares with (default: HEAD, the last commit)')
    .action(async (opts: CodegenFlags) => {
      if (opts.breaking) {
        const clash = (['check', 'watch', 'out', 'packageName'] as const).find((flag) => opts[flag] !== undefined);
        if (clash) throw new UsageError(`--breaking compares protos and writes nothing: drop --${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
        const { checkBreaking } = await import('../codegen/breaking.js');
        const result = await checkBreaking({ protoDir: opts.protos, against: opts.against });
        (result.ok ? process.stdout : process.stderr).write(`${result.message}\n`);
        if (!result.ok) process.exitCode = 1;
        return;
      }
      if (opts.against !== undefined) throw new UsageError('--against names the git ref --breaking compares with: add --breaking');
      if (opts.packageName !== undefined && opts.backend === 'proto-loader' && opts.out === undefined) {
        throw new UsageError(`--package-name builds a package for other apps (JavaScript and .d.ts): give it its own --out <dir>; ${DEFAULT_OUT['proto-loader']} stays this project's TypeScript stubs`);
      }
      const codegen = { protoDir: opts.protos, outDir: opts.out ?? DEFAULT_OUT[opts.backend], backend: opts.backend, packageName: opts.packageName };
      if (opts.watch) {
        if (opts.check) throw new UsageError('--watch and --check cannot be combined: --check writes nothing, --watch regenerates');
        // A missing tool is said once, now, not on every change.
        if (opts.backend === 'grpc-tools') (await import('../codegen/grpc-tools.js')).findGrpcTools();
        const { watchCodegen } = await import('../codegen/watch.js');
        const watcher = watchCodegen({ ...codegen, report: (line, ok) => (ok ? process.stdout : process.stderr).write(`${line}\n`) });
        process.stdout.write(`watching ${opts.protos} for .proto changes (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await watcher.close();
        return;
      }
      const { runCodegen } = await import('../codegen/write.js');
      const result = await runCodegen({ ...codegen, check: Boolean(opts.check) });
      // Failures (stale stubs, a syntax error) go to stderr, where scripts and CI look for them.
      (result.ok ? process.stdout : process.stderr).write(`${result.message}\n`);
      if (!result.ok) process.exitCode = 1;
    });
}
