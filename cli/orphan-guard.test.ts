/** The guard in a real child (loaded through tsx, as the source is TypeScript): closing its stdin stands in for a dead supervisor. */
import { spawn } from 'node:child_process';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

const GUARD = path.join(import.meta.dirname, 'orphan-guard.ts');
const SERVER = "process.on('SIGTERM', () => { console.log('term'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000)";

function child(env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--import', GUARD, '-e', SERVER], {
    cwd: path.join(import.meta.dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve) => proc.stdout!.on('data', () => out.includes('ready') && resolve()));
  return { proc, exited, ready, output: () => out };
}

describe('orphan guard', () => {
  it('sends the process SIGTERM when its supervisor goes away', async () => {
    const { proc, exited, ready, output } = child({ MGRPC_SUPERVISED: '1' });
    await ready;
    proc.stdin!.end();
    expect(await exited).toBe(0);
    expect(output()).toContain('term');
  });

  it('does nothing outside a supervisor', async () => {
    const { proc, exited, ready, output } = child({ MGRPC_SUPERVISED: '' });
    await ready;
    proc.stdin!.end();
    await new Promise((r) => setTimeout(r, 300));
    expect(proc.exitCode).toBeNull();
    proc.kill('SIGKILL');
    await exited;
    expect(output()).not.toContain('term');
  });
});
