/**
 * The servers' bundle (cli/serve/bundle.ts): which commands run from it, where each keeps its
 * code cache, and, with the built CLI, that a server started from it answers, saves V8's code
 * when it stops, and starts again from that code without saving it anew (so V8 accepted it).
 * Needs `npm run build` (npm test does it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { freePort, waitForPort } from '../../test/support/ports.js';
import { CLI } from '../../test/support/system.js';
import { waitUntil } from '../../test/support/wait.js';
import { bundledMain, cacheFileFor } from './bundle.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-bundle-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('which commands run from the bundle', () => {
  it('only runserver and grpcrunserver, never with --dev or MGRPC_BUNDLE=0', () => {
    // From the sources there is no bundle beside this file: undefined either way; what matters
    // is that the other commands never look (they would need a bundle to say otherwise).
    for (const argv of [['status'], ['runserver', '--dev', '-s', 'product'], ['bench'], []]) expect(bundledMain(['node', 'mgrpc', ...argv])).toBeUndefined();
    expect(bundledMain(['node', 'mgrpc', 'runserver', '-s', 'product'], { MGRPC_BUNDLE: '0' })).toBeUndefined();
  });

  it('keeps a code cache per command and service, named for this node', () => {
    const name = (argv: string[]) => path.basename(cacheFileFor('/c', ['node', 'mgrpc', ...argv]));
    expect(name(['grpcrunserver', '--service', 'product'])).toBe(`grpcrunserver-product.${process.version}.${process.arch}.v8cache`);
    expect(name(['runserver', '127.0.0.1:9', '-s', 'dashboard'])).toBe(`runserver-dashboard.${process.version}.${process.arch}.v8cache`);
    expect(name(['runserver', '--service=a/../b'])).toBe(`runserver-a____b.${process.version}.${process.arch}.v8cache`);
    expect(path.dirname(cacheFileFor('/c', ['node', 'mgrpc', 'runserver']))).toBe('/c');
    // Code compiled under other V8 flags is rejected: each set of node options has its own cache.
    const withOptions = (options: string) => path.basename(cacheFileFor('/c', ['node', 'mgrpc', 'runserver'], options));
    expect(withOptions('--max-old-space-size=96')).toMatch(new RegExp(`^runserver-default\\.${process.version.replace(/\./g, '\\.')}\\.${process.arch}\\.[0-9a-f]{8}\\.v8cache$`));
    expect(withOptions('--max-old-space-size=96')).not.toBe(withOptions('--max-old-space-size=128'));
    expect(withOptions('--max-old-space-size=96')).toBe(withOptions('--max-old-space-size=96'));
  });
});

/** Starts the built `mgrpc runserver --service product`, waits for /healthz, stops it (SIGTERM) and waits for its exit. */
async function startAndStop(env: NodeJS.ProcessEnv): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'runserver', `127.0.0.1:${port}`, '--service', 'product', '--migrate'], {
    env: { ...process.env, MGRPC_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitForPort(port);
  await waitUntil('/healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200, 1500, () => output);
  child.kill('SIGTERM');
  expect(await exited, output).toBe(0);
}

describe('a server from the built bundle', () => {
  it('saves its compiled code when it stops, and the next start uses it without saving again', { timeout: 120_000 }, async () => {
    const cacheDir = path.join(dir, 'cache');
    // The child runs with no execArgv, under this process's NODE_OPTIONS.
    const cacheFile = cacheFileFor(cacheDir, ['node', 'mgrpc', 'runserver', '--service', 'product'], (process.env.NODE_OPTIONS ?? '').trim());
    await startAndStop({ MGRPC_BUNDLE_CACHE_DIR: cacheDir });
    expect(existsSync(cacheFile)).toBe(true);
    const saved = statSync(cacheFile);
    expect(saved.size).toBeGreaterThan(100_000);
    await startAndStop({ MGRPC_BUNDLE_CACHE_DIR: cacheDir });
    expect(statSync(cacheFile).mtimeMs).toBe(saved.mtimeMs);
    expect(readdirSync(cacheDir)).toEqual([path.basename(cacheFile)]);
  });

  it('runs from dist/ with MGRPC_BUNDLE=0: no code cache', { timeout: 120_000 }, async () => {
    const cacheDir = path.join(dir, 'cache-off');
    await startAndStop({ MGRPC_BUNDLE: '0', MGRPC_BUNDLE_CACHE_DIR: cacheDir });
    expect(existsSync(cacheDir)).toBe(false);
  });
});
