/**
 * Lets `npm install` in a new project reuse the sqlite3 this mgrpc checkout has built,
 * instead of building it again (minutes of C compilation where GitHub, which serves
 * sqlite3's prebuilt binaries, cannot be reached).
 *
 * sqlite3 installs with `prebuild-install`, which looks in npm's cache (`<cache>/_prebuilds`,
 * under a name made from the download URL) before it downloads. We put our binary there, packed
 * as that download would be. It is an N-API binary, so any Node.js version of this platform
 * and architecture can load it, and only a missing entry is written.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';

/** The N-API versions sqlite3 publishes binaries for; prebuild-install takes the highest Node.js supports. */
function napiVersion(supported: number[]): number | undefined {
  const ours = Number(process.versions.napi);
  return supported.filter((v) => v <= ours).sort((a, b) => b - a)[0];
}

function npmCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.npm_config_cache) return env.npm_config_cache;
  try {
    return execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return env.APPDATA ? path.join(env.APPDATA, 'npm-cache') : path.join(homedir(), '.npm');
  }
}

/** Where prebuild-install looks for `url` in npm's cache (its util.cachedPrebuild). */
export function cachedPrebuildPath(cacheDir: string, url: string): string {
  const digest = createHash('sha512').update(url).digest('hex').slice(0, 6);
  return path.join(cacheDir, '_prebuilds', `${digest}-${path.basename(url).replace(/[^a-zA-Z0-9.]+/g, '-')}`);
}

/** The URL prebuild-install downloads sqlite3 `version` from on this machine. */
export function sqlitePrebuildUrl(version: string, napi: number, platform = process.platform, arch = process.arch): string {
  const glibc = platform !== 'linux' || Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime);
  const libc = glibc ? '' : 'musl';
  return `https://github.com/TryGhost/node-sqlite3/releases/download/v${version}/sqlite3-v${version}-napi-v${napi}-${platform}${libc}-${arch}.tar.gz`;
}

/**
 * Puts the sqlite3 built in `mgrpcRoot` into npm's prebuild cache; returns where, or why not.
 *
 * @example
 *   seedSqlitePrebuild(packageRoot()); // { reused: '/home/me/.npm/_prebuilds/35c27c-sqlite3-v5.1.7-napi-v6-linux-x64.tar.gz' }
 */
export function seedSqlitePrebuild(mgrpcRoot: string, env: NodeJS.ProcessEnv = process.env): { reused: string } | { skipped: string } {
  let dir: string;
  try {
    dir = path.dirname(createRequire(path.join(mgrpcRoot, 'package.json')).resolve('sqlite3/package.json'));
  } catch {
    return { skipped: 'no sqlite3 installed in the mgrpc checkout' };
  }
  const binary = path.join(dir, 'build', 'Release', 'node_sqlite3.node');
  if (!existsSync(binary)) return { skipped: `no built ${binary}` };
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string; binary?: { napi_versions?: number[] } };
  const napi = napiVersion(pkg.binary?.napi_versions ?? []);
  if (napi === undefined) return { skipped: 'this Node.js supports none of the N-API versions sqlite3 is published for' };
  const target = cachedPrebuildPath(npmCacheDir(env), sqlitePrebuildUrl(pkg.version, napi));
  if (existsSync(target)) return { reused: target };
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    // Packed as the published tarballs are (build/Release/node_sqlite3.node), under a temporary name until complete.
    const partial = `${target}.${process.pid}.tmp`;
    execFileSync('tar', ['-czf', partial, '-C', dir, 'build/Release/node_sqlite3.node'], { stdio: 'ignore' });
    renameSync(partial, target);
    return { reused: target };
  } catch (err) {
    return { skipped: `could not write npm's prebuild cache: ${(err as Error).message}` };
  }
}
