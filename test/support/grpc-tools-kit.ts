/**
 * A throwaway npm project holding what a user of `mgrpc codegen --backend grpc-tools` and
 * `--breaking` installs (grpc-tools, grpc_tools_node_protoc_ts, google-protobuf, @grpc/grpc-js,
 * @bufbuild/buf), outside the repository so the project's `npm ci` never sees it. Tests run the
 * CLI with it as the current directory (where mgrpc looks for those tools), generate stubs inside
 * it, and load them with its require (the app's one copy of each runtime).
 *
 * grpc-tools' install downloads protoc and grpc_node_plugin from a host our machines cannot reach:
 * where ../shared/grpc-tools-bin (or MGRPC_GRPC_TOOLS_BIN) holds statically linked equivalents (see its README), grpc-tools
 * is installed with --ignore-scripts and copies of those two are put where its install would have,
 * node_modules/grpc-tools/bin/; elsewhere grpc-tools installs normally.
 *
 * The kit is kept in the temp directory under a name made of the versions, built in a scratch
 * directory and renamed into place by one test file while the others wait (a lock directory), so
 * parallel test files share one install, and later runs reuse it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { eventually } from './eventually.js';
import { ROOT } from './system.js';

const run = promisify(execFile);

/**
 * Where statically linked protoc and grpc_node_plugin are on our machines: MGRPC_GRPC_TOOLS_BIN,
 * else a read-only copy beside the clone (CI). Without them grpc-tools downloads its own.
 */
export const SHARED_GRPC_TOOLS_BIN = process.env.MGRPC_GRPC_TOOLS_BIN || path.resolve(ROOT, '../shared/grpc-tools-bin');

const ourGrpcJs: string = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@grpc/grpc-js/package.json'), 'utf8')).version;

/** What the kit installs; the runtime versions are the ones an app of the stub package would have. */
export const KIT_DEPENDENCIES = {
  '@bufbuild/buf': '1.75.0',
  '@grpc/grpc-js': ourGrpcJs,
  'google-protobuf': '3.21.4',
  'grpc-tools': '1.13.1',
  grpc_tools_node_protoc_ts: '5.3.3',
} as const;

export interface GrpcToolsKit {
  dir: string;
  /** require() as the kit's own code would: its grpc-js, google-protobuf and generated stubs. */
  require: NodeRequire;
}

/** Runs `npm` in `cwd`, quietly, preferring the local cache (the registry is the fallback). */
export async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 120_000 });
  return stdout;
}

let kit: Promise<GrpcToolsKit> | undefined;

/** The kit, installed on first use (about 10 s), then reused. */
export function grpcToolsKit(): Promise<GrpcToolsKit> {
  kit ??= install();
  return kit;
}

async function install(): Promise<GrpcToolsKit> {
  const shared = existsSync(path.join(SHARED_GRPC_TOOLS_BIN, 'protoc'));
  const key = createHash('sha256').update(JSON.stringify([KIT_DEPENDENCIES, shared])).digest('hex').slice(0, 12);
  const dir = path.join(tmpdir(), `mgrpc-grpc-tools-kit-${key}`);
  const ready = path.join(dir, '.ready');
  const lock = `${dir}.lock`;
  const kit = { dir, require: createRequire(path.join(dir, 'package.json')) };
  if (existsSync(ready)) return kit;
  // One installer at a time: test files in other workers wait for its kit instead of installing their own.
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a killed run (an install takes seconds, not minutes) is taken over.
      if (Date.now() - statSync(lock).mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      await eventually(async () => existsSync(ready) || !existsSync(lock) || Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 5 * 60_000, Boolean);
      if (existsSync(ready)) return kit;
    }
  }
  const scratch = mkdtempSync(`${dir}-building-`);
  try {
    if (existsSync(ready)) return kit;
    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'grpc-tools-kit', private: true, dependencies: KIT_DEPENDENCIES }, null, 2));
    await npm(scratch, ['install', ...(shared ? ['--ignore-scripts'] : [])]);
    if (shared) {
      for (const binary of ['protoc', 'grpc_node_plugin']) {
        const target = path.join(scratch, 'node_modules/grpc-tools/bin', binary);
        copyFileSync(path.join(SHARED_GRPC_TOOLS_BIN, binary), target);
        chmodSync(target, 0o755);
      }
    }
    writeFileSync(path.join(scratch, '.ready'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
    return kit;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}
