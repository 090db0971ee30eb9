/**
 * `runserver --dev` / `grpcrunserver --dev`: run the server as a child process and restart it
 * whenever a source file changes. Restart = SIGTERM (the server drains as in production),
 * wait for it to exit (SIGKILL after `stopTimeoutMs`), spawn again; one line per restart.
 *
 * Users edit .ts files, so in a checkout (bin/mgrpc.ts present and tsx installed) the child
 * runs the TypeScript sources through tsx and services/ is watched: no build step, and a
 * `mgrpc codegen --watch` in another terminal restarts the server through services/stubs.
 * From an installed package (no sources) the child runs the built JavaScript and dist/ is
 * watched. In a project made by `mgrpc startproject` the services are the project's, loaded
 * from its dist/ by the installed CLI's JavaScript (one copy of the framework for both), so
 * the project's dist/ is watched: `npx tsc -w` in another terminal restarts the server.
 * A child that exits by itself (a syntax error, say) is reported and restarted on the next
 * change; a usage error (exit 2) ends dev mode with that code, since no edit of the sources
 * fixes the command line. Ctrl-C stops the child, then the watcher, and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { Side } from '../../services/framework/runtime.js';
import { UsageError } from '../handle-error.js';
import { loadRegistry, projectRegistryPath } from '../project-registry.js';
import type { ServeOptions } from './serve.js';

/**
 * `runserver`/`grpcrunserver` (`command`) with `--dev`: checks the service name as the server
 * would, then runs the command without --dev under runDev. Resolves with the exit code.
 */
export async function serveDev(side: Side, command: string, options: ServeOptions): Promise<number> {
  const { SERVICE_NAMES } = await loadRegistry();
  if (!SERVICE_NAMES.includes(options.service)) {
    throw new UsageError(`unknown service '${options.service}': choose one of ${SERVICE_NAMES.join(', ')}`);
  }
  const args = [command, ...(options.addrport === undefined ? [] : [options.addrport]), '--service', options.service, ...(options.migrate ? ['--migrate'] : [])];
  return runDev({ args, label: `${options.service} ${side === 'rest' ? 'REST' : 'gRPC'}` });
}

export interface DevOptions {
  /** CLI arguments of the child (the same command without --dev). */
  args: string[];
  /** What runs, for the restart lines ("dashboard REST"). */
  label: string;
  /** Quiet period after the last change before restarting (default 200 ms). */
  debounceMs?: number;
  /** How long a stopping child may drain before SIGKILL (default 10000 ms). */
  stopTimeoutMs?: number;
  log?(line: string): void;
}

export interface DevPlan {
  /** Modules node preloads (`--import`), e.g. tsx. */
  imports: string[];
  /** The CLI entry point node runs. */
  entry: string;
  /** Directories watched recursively. */
  watch: string[];
  mode: 'typescript' | 'javascript' | 'project';
}

/** The package root: the nearest directory above this file with mgrpc's package.json. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mgrpc') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the mgrpc package root for --dev');
    dir = parent;
  }
}

/**
 * A project's built services under the built CLI; else TypeScript sources through tsx when
 * both are there, else the built JavaScript.
 */
export function devPlan(root = packageRoot(), cwd = process.cwd()): DevPlan {
  const entry = path.join(root, 'dist/bin/mgrpc.js');
  if (projectRegistryPath(cwd)) return { imports: [], entry, watch: [path.join(cwd, 'dist')], mode: 'project' };
  const source = path.join(root, 'bin/mgrpc.ts');
  let tsx: string | undefined;
  try {
    tsx = createRequire(path.join(root, 'package.json')).resolve('tsx');
  } catch {
    tsx = undefined;
  }
  if (existsSync(source) && tsx) {
    return { imports: [pathToFileURL(tsx).href], entry: source, watch: [path.join(root, 'services')], mode: 'typescript' };
  }
  return { imports: [], entry, watch: [path.join(root, 'dist')], mode: 'javascript' };
}

/** Editors' swap files, tests and maps change without changing the server. */
function relevant(file: string): boolean {
  if (/(^|[\\/])(node_modules|\.git)([\\/]|$)/.test(file)) return false;
  if (/\.test\.tsx?$|\.map$|~$|\.swp$|(^|[\\/])\.#/.test(file)) return false;
  return /\.(ts|tsx|js|mjs|cjs|json)$/.test(file);
}

/** Runs until SIGINT/SIGTERM; resolves with the exit code for the CLI. */
export async function runDev(options: DevOptions): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const plan = devPlan();
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let childExit: Promise<number | null> | undefined;
  let stopping = false;
  let restarting = false;
  let timer: NodeJS.Timeout | undefined;
  let changed: string | undefined;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const start = () => {
    // Its own process group, so Ctrl-C reaches only this process, which then stops the child
    // with one SIGTERM (a second signal would cut its drain short). Should this process die
    // without stopping it, the orphan guard sees its stdin close and stops it (as under `up`).
    const guard = new URL(`../orphan-guard${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
    const spawned = spawn(process.execPath, [...[...plan.imports, guard].flatMap((module) => ['--import', module]), plan.entry, ...options.args], {
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...process.env, MGRPC_SUPERVISED: '1' },
      detached: true,
    });
    child = spawned;
    childExit = new Promise((resolve) => {
      spawned.once('exit', (code, signal) => {
        if (child === spawned) child = undefined;
        resolve(code);
        if (stopping || restarting) return;
        if (code === 2) {
          log(`[dev] ${options.label} refused its arguments (exit 2); stopping`);
          finish(2);
          return;
        }
        log(`[dev] ${options.label} exited (${signal ?? `code ${code}`}); waiting for a change to restart`);
      });
    });
  };

  const stopChild = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const kill = setTimeout(() => running.kill('SIGKILL'), stopTimeoutMs);
    running.kill('SIGTERM');
    await childExit;
    clearTimeout(kill);
  };

  const restart = async () => {
    if (stopping || restarting) return;
    restarting = true;
    const what = changed ? path.relative(process.cwd(), changed) || changed : 'a file';
    changed = undefined;
    log(`[dev] ${what} changed: restarting ${options.label}`);
    await stopChild();
    restarting = false;
    if (!stopping) start();
    if (changed) restart();
  };

  const watchers: FSWatcher[] = plan.watch
    .filter((dir) => existsSync(dir))
    .map((dir) =>
      watch(dir, { recursive: true }, (_event, file) => {
        if (!file || !relevant(String(file))) return;
        changed = path.join(dir, String(file));
        clearTimeout(timer);
        timer = setTimeout(() => void restart(), options.debounceMs ?? 200);
      }),
    );

  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
    // The terminal sends Ctrl-C to the child too; SIGTERM covers a `kill` of this process alone.
    void stopChild().then(() => finish(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const from = { typescript: 'the TypeScript sources (tsx)', javascript: 'dist/', project: "this project's dist/ (rebuild with `npm run build` or `npx tsc -w`)" }[plan.mode];
  log(`[dev] running ${options.label} from ${from}; restarting on changes in ${plan.watch.map((dir) => path.relative(process.cwd(), dir) || dir).join(', ')}`);
  start();
  const code = await finished;
  for (const watcher of watchers) watcher.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}
