import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { CLI } from '../test/support/system.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-closed-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = { ...process.env, NO_COLOR: '1' };

describe('a command whose reader is gone (`mgrpc status | head -c 0`)', () => {
  it('ends quietly with the exit code it would have had, without an EPIPE stack trace', async () => {
    const normal = spawnSync(process.execPath, [CLI, 'status'], { cwd: dir, env, encoding: 'utf8' });
    expect(normal.stdout).toContain('health');

    const child = spawn(process.execPath, [CLI, 'status'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader closes before the command has written anything: its first line meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(stderr).toBe('');
    expect(code).toBe(normal.status);
  });
});
