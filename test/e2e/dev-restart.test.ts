/**
 * `runserver --dev` / `grpcrunserver --dev` as a user runs them (the built CLI, which runs the
 * TypeScript sources through tsx in this checkout): a change under services/ restarts the
 * server with one line saying so, the new server answers, and SIGINT stops both processes
 * with exit code 0, leaving the port free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { freePort } from '../support/ports.js';
import { CLI, ROOT, http, runCli } from '../support/system.js';

let dataDir: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-dev-'));
});

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** A touch of a real source file: its content stays, its mtime moves (what a save does to the watcher). */
function touch(file: string): void {
  const { atime } = statSync(file);
  utimesSync(file, atime, new Date());
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await http('GET', url)).status === 200;
  } catch {
    return false;
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return !(await answers(`http://127.0.0.1:${port}/healthz`));
}

it('runserver --dev restarts on a source change and stops cleanly on Ctrl-C', async () => {
  const env = { ...process.env, MGRPC_DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' };
  expect(runCli(['migrate', '--service', 'dashboard'], env).code).toBe(0);
  const port = await freePort();
  child = spawn(process.execPath, [CLI, 'runserver', `127.0.0.1:${port}`, '--service', 'dashboard', '--dev'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  const listening = () => output.split('\n').filter((line) => line.includes('dashboard REST listening on')).length;
  const url = `http://127.0.0.1:${port}/healthz`;

  await eventually(async () => listening(), (n) => n >= 1, 30_000);
  expect(output).toContain('[dev] running dashboard REST from the TypeScript sources (tsx)');
  expect(await answers(url), output).toBe(true);

  touch(path.join(ROOT, 'services/dashboard/config.ts'));
  await eventually(async () => listening(), (n) => n >= 2, 30_000);
  expect(output).toMatch(/\[dev\] services\/dashboard\/config\.ts changed: restarting dashboard REST\n/);
  expect(output.match(/changed: restarting/g)).toHaveLength(1);
  expect(await eventually(() => answers(url), (ok) => ok, 10_000)).toBe(true);

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  // The server drained and stopped too (it has no parent to outlive).
  expect(output).toMatch(/\[dashboard\.rest\] stopped/);
  expect(await eventually(() => portIsFree(port), (free) => free, 5000)).toBe(true);
});

it('grpcrunserver --dev with an unknown service is a usage error before anything starts', () => {
  const result = runCli(['grpcrunserver', '--service', 'nope', '--dev'], { MGRPC_DATA_DIR: dataDir });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^error: unknown service 'nope': choose one of dashboard, product\n$/);
});
