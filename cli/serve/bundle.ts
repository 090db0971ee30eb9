/**
 * `runserver` and `grpcrunserver` from the bundle `npm run build` writes (dist/bundle/mgrpc.cjs,
 * build/bundle-servers.mjs): the same code as dist/ in one file, compiled from V8's code
 * cache after the first start, so a server answers health sooner (docs/performance.md).
 * Used only where it is sure to be that same code:
 *  - the command serves (no --dev, which runs the TypeScript sources);
 *  - the services are mgrpc's own: a project's services import `mgrpc/framework` from dist/,
 *    and a second copy of the framework beside the bundle's would split its state;
 *  - the bundle is at least as new as dist/ (a `tsc` alone rebuilds dist/ but not the bundle);
 *  - MGRPC_BUNDLE is not 0 (to compare, or to rule the bundle out).
 * The code cache lives next to the bundle, or in MGRPC_BUNDLE_CACHE_DIR (for a read-only install).
 * Kept to node's own modules and project-registry.ts: the bin reads it before anything else.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

import { projectRegistryPath } from '../project-registry.js';

type Main = (argv: string[]) => Promise<void>;

const SERVE_COMMANDS = new Set(['runserver', 'grpcrunserver']);

/** The bundle's `main`, or undefined when this command should run from dist/ (see above). */
export function bundledMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Main | undefined {
  if (!SERVE_COMMANDS.has(argv[2] ?? '') || argv.includes('--dev') || env.MGRPC_BUNDLE === '0') return undefined;
  const bundle = fileURLToPath(new URL('../../bundle/mgrpc.cjs', import.meta.url));
  const built = fileURLToPath(new URL('../main.js', import.meta.url));
  if (!existsSync(bundle) || !existsSync(built) || statSync(bundle).mtimeMs < statSync(built).mtimeMs) return undefined;
  try {
    if (projectRegistryPath() !== undefined) return undefined;
  } catch {
    // A project whose services are not built: the normal path says so.
    return undefined;
  }
  const nodeOptions = [...process.execArgv, env.NODE_OPTIONS ?? ''].join(' ').trim();
  return runBundle(bundle, cacheFileFor(env.MGRPC_BUNDLE_CACHE_DIR || path.dirname(bundle), argv, nodeOptions)).main;
}

/**
 * Where V8's compiled code for this command and service is kept: each server compiles the
 * functions its own side runs, so each keeps its own cache. Node's version is in the name:
 * another node cannot use the code (V8 would reject it, and two nodes would overwrite each
 * other's cache at every start). So are the node options, hashed: V8 rejects code compiled
 * under other flags (`mgrpc up` gives its servers --max-old-space-size, a server started by
 * hand has none), and a start whose cache was rejected compiles everything (some 100 ms more)
 * and then overwrites the cache for the other.
 */
export function cacheFileFor(dir: string, argv: string[], nodeOptions = ''): string {
  const at = argv.findIndex((arg) => arg === '--service' || arg === '-s');
  const service = at >= 0 ? argv[at + 1] : argv.find((arg) => arg.startsWith('--service='))?.slice('--service='.length);
  const name = `${argv[2]}-${(service ?? 'default').replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const flags = nodeOptions === '' ? '' : `.${fnv1a(nodeOptions)}`;
  return path.join(dir, `${name}.${process.version}.${process.arch}${flags}.v8cache`);
}

/** A short hash of a string (FNV-1a, 32 bits, hex): names a file, no security in it, no crypto to load. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * Runs the bundle as CommonJS does (a function given its own require), compiled from the cache
 * when there is a usable one. Without one, the code this process compiled is saved when it
 * exits: after a server's life that is everything its start-up ran, not only the top level.
 * A cache that cannot be written (a read-only install) is skipped: the next start compiles.
 */
function runBundle(file: string, cacheFile: string): { main: Main } {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The file is already the function CommonJS would wrap it in, and ASCII, so read as
  // latin1 it is the text, decoded faster than UTF-8 (build/bundle-servers.mjs).
  // No importModuleDynamically: the bundle imports nothing outside itself on a server's path,
  // and node's loader for scripts is experimental (and warns).
  const script = new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      const temp = `${cacheFile}.${process.pid}.tmp`;
      try {
        mkdirSync(path.dirname(cacheFile), { recursive: true });
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
      } catch {
        // Not writable here: every start compiles, as without the cache.
      }
    });
  }
  const module = { exports: {} as { main: Main } };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}
