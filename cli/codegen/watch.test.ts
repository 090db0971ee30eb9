/**
 * `mgrpc codegen --watch` as a user runs it (the built CLI, `npm run build` first), on a temp
 * copy of protos/: a change regenerates, a syntax error is one line and the watcher keeps
 * going, the fix regenerates again, and Ctrl-C (SIGINT) exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, expect, it } from 'vitest';

import { eventually } from '../../test/support/eventually.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/bin/mgrpc.js');

let tmp: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mgrpc-watch-'));
  cpSync(path.join(ROOT, 'protos'), path.join(tmp, 'protos'), { recursive: true });
});

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

it('regenerates on every change, survives a syntax error and exits 0 on Ctrl-C', async () => {
  child = spawn(process.execPath, [CLI, 'codegen', '--watch', '--protos', 'protos', '--out', 'stubs'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const runs = () => stdout.split('\n').filter((line) => line.includes('generated stubs from protos')).length;
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  await eventually(async () => runs(), (n) => n >= 1, 15_000);
  expect(runs(), stdout + stderr).toBe(1);
  const descriptor = () => readFileSync(path.join(tmp, 'stubs/descriptor.ts'), 'utf8');
  expect(descriptor()).not.toContain('"currency"');

  const proto = path.join(tmp, 'protos/product.proto');
  const original = readFileSync(proto, 'utf8');
  writeFileSync(proto, original.replace('int64 likes = 4;', 'int64 likes = 4;\n  string currency = 5;'));
  await eventually(async () => runs(), (n) => n >= 2, 15_000);
  expect(descriptor()).toContain('"currency"');
  expect(stdout).toMatch(/\] generated stubs from protos: 3 services, \d+ files \([1-9]\d* changed\)/);

  writeFileSync(proto, original.replace('string title = 2;', 'string title = ;'));
  await eventually(async () => stderr, (text) => text.includes('error:'), 15_000);
  expect(stderr).toMatch(/^\[\d\d:\d\d:\d\d\] error: protos\/product\.proto:\d+: .* \(waiting for the next change\)\n$/);
  expect(child.exitCode).toBeNull();
  expect(descriptor()).toContain('"currency"');

  writeFileSync(proto, original);
  await eventually(async () => runs(), (n) => n >= 3, 15_000);
  expect(descriptor()).not.toContain('"currency"');

  child.kill('SIGINT');
  expect(await exited).toBe(0);
});
