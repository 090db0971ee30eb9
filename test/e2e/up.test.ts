/**
 * `mgrpc up` as a user runs it: the built CLI (`npm run build` first), real processes on
 * loopback ports, SQLite in a temp dir. It serves the tutorial flow, restarts a killed
 * process, stops cleanly on SIGTERM, refuses a taken port, and leaves no process behind,
 * even when `up` itself is SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_MALLOC_ARENA_MAX, DEFAULT_SERVER_NODE_OPTIONS } from '../../services/framework/server-process.js';
import { freeBasePort } from '../support/ports.js';
import { CLI, http } from '../support/system.js';
import { alive, waitUntil } from '../support/wait.js';

interface Up {
  child: ChildProcess;
  base: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Up[] = [];
const dirs: string[] = [];

/** A base port B with B+6..B+9 free a moment ago. */
const freeBase = () => freeBasePort([6, 7, 8, 9]);

function startUp(base: number, env: NodeJS.ProcessEnv = {}): Up {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-up-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [CLI, 'up', '--base-port', String(base), '--data-dir', dataDir], {
    // Its own directory: `up` writes its state file in the project it stands in, and tests run side by side.
    cwd: dataDir,
    env: { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1', DATABASE_URL: '', DASHBOARD_DATABASE_URL: '', PRODUCT_DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const up = { child, base, output: () => chunks.join(''), exited };
  running.push(up);
  return up;
}

/** Waits for `condition` (an event, not a time budget: the test's timeout ends a hang). */
async function until(condition: () => boolean | Promise<boolean>, what: string, up: Up): Promise<void> {
  await waitUntil(what, condition, 15_000, up.output);
}

/** Every pid `up` reported starting, by process name. */
function startedPids(up: Up): Map<number, string> {
  const pids = new Map<number, string>();
  for (const match of up.output().matchAll(/started (\w+) pid=(\d+)/g)) pids.set(Number(match[2]), match[1]!);
  return pids;
}


beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (or npx tsc -p tsconfig.json) first`);
});

afterEach(async () => {
  for (const up of running.splice(0)) {
    if (up.child.exitCode === null && up.child.signalCode === null) up.child.kill('SIGKILL');
    for (const pid of startedPids(up).keys()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('mgrpc up', () => {
  it('serves the system, restarts a killed process, and stops everything on SIGTERM with exit 0', async () => {
    // The servers' own defaults, whatever the runner's shell says (checked below).
    const up = startUp(await freeBase(), { MALLOC_ARENA_MAX: undefined, MGRPC_SERVER_NODE_OPTIONS: undefined });
    const dashboard = `http://127.0.0.1:${up.base + 8}`;
    const product = `http://127.0.0.1:${up.base + 7}`;
    await until(() => up.output().includes('mgrpc is up'), 'the up line', up);
    // A child's own log line comes through its pipe and may trail the port being open.
    await until(() => /^dashboard_grpc \| .*dashboard gRPC listening/m.test(up.output()), 'the dashboard gRPC listening line', up);
    const out = up.output();
    expect(out).toContain(`  product_grpc    gRPC  127.0.0.1:${up.base + 6}\n`);
    expect(out).toContain(`  product         REST  ${product}\n`);
    expect(out).toContain(`  dashboard       REST  ${dashboard}\n`);
    expect(out).toContain(`  dashboard_grpc  gRPC  127.0.0.1:${up.base + 9}\n`);
    expect(out).toMatch(/^dashboard_grpc \| .*dashboard gRPC listening/m);
    expect(out.match(/^auth: .*$/gm)).toEqual([
      'auth: off — no MGRPC_SERVICE_TOKEN set (fine on 127.0.0.1; set one before exposing ports); REST open (no MGRPC_API_KEY); gRPC in plaintext',
    ]);
    // Each server runs with the servers' heap settings and malloc arenas (server-process.ts).
    for (const pid of startedPids(up).keys()) {
      const environ = new Map(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
      expect(environ.get('MALLOC_ARENA_MAX')).toBe(DEFAULT_MALLOC_ARENA_MAX);
      expect(environ.get('NODE_OPTIONS')).toContain(DEFAULT_SERVER_NODE_OPTIONS);
    }

    const user = await http('POST', `${dashboard}/api/user`);
    expect(user.status, user.text).toBe(201);
    const created = await http('POST', `${dashboard}/api/products`, { title: 'x' });
    expect(created.status, created.text).toBe(201);
    const copies = await http('GET', `${product}/api/products`);
    expect(copies.body.map((p: { id: string }) => p.id)).toContain(created.body.id);

    const [killedPid] = [...startedPids(up)].find(([, name]) => name === 'dashboard_grpc')!;
    process.kill(killedPid, 'SIGKILL');
    await until(() => up.output().includes('dashboard_grpc exited with signal SIGKILL; restarting in 0.5s'), 'the restart line', up);
    await until(() => [...startedPids(up)].filter(([, name]) => name === 'dashboard_grpc').length === 2, 'a new dashboard_grpc', up);
    // A like goes product REST -> dashboard gRPC: counted once the restarted process serves.
    // Answered 200 if it serves within the call's retries, else 202 (recorded, pending) and
    // delivered by the relay's retry; a like that failed outright is tried again.
    await until(
      async () => [200, 202].includes((await http('POST', `${product}/api/products/${created.body.id}/like`, { user_id: user.body.id })).status),
      'a like recorded by the product service',
      up,
    );
    await until(
      async () => (await http('GET', `${dashboard}/api/products/${created.body.id}`)).body.likes === 1,
      'the like counted through the restarted dashboard_grpc',
      up,
    );

    up.child.kill('SIGTERM');
    expect(await up.exited).toEqual({ code: 0, signal: null });
    expect(up.output()).toContain('all processes stopped');
    const pids = [...startedPids(up).keys()];
    expect(pids).toHaveLength(5);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('stops everything and cleans up when whoever read its output is gone (a `| tee` ended by the same Ctrl-C)', async () => {
    const up = startUp(await freeBase());
    await until(() => up.output().includes('mgrpc is up') && startedPids(up).size === 4, 'the up line', up);
    const state = path.join(up.child.spawnargs[up.child.spawnargs.indexOf('--data-dir') + 1]!, '.mgrpc', 'state.json');
    expect(existsSync(state)).toBe(true);
    // The pipe's only reader closes its end: up's next line to stdout meets EPIPE.
    up.child.stdout!.destroy();
    up.child.kill('SIGINT');
    expect(await up.exited).toEqual({ code: 0, signal: null });
    expect(up.output()).not.toMatch(/EPIPE|Error:|\n\s+at /);
    expect(existsSync(state)).toBe(false);
    expect([...startedPids(up).keys()].filter(alive)).toEqual([]);
  });

  it('names a process that dies while the system stops, and exits 1', async () => {
    const up = startUp(await freeBase());
    await until(() => up.output().includes('mgrpc is up'), 'the up line', up);
    const [frozen] = [...startedPids(up)].find(([, name]) => name === 'product')!;
    // Frozen, it cannot take the SIGTERM and exit cleanly before it is killed under the stop.
    process.kill(frozen, 'SIGSTOP');
    up.child.kill('SIGTERM');
    await until(() => /^dashboard_grpc \| .*"msg":"stopped"/m.test(up.output()), 'another process stopped', up);
    process.kill(frozen, 'SIGKILL');
    expect(await up.exited).toEqual({ code: 1, signal: null });
    expect(up.output()).toContain('product exited with signal SIGKILL while stopping (its output is above)');
    expect(up.output().match(/while stopping/g)).toHaveLength(1);
    expect([...startedPids(up).keys()].filter(alive)).toEqual([]);
  });

  it('refuses a port that is taken, naming it, and starts nothing', async () => {
    const base = await freeBase();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(base + 8, '127.0.0.1', resolve));
    try {
      const up = startUp(base);
      expect(await up.exited).toEqual({ code: 1, signal: null });
      expect(up.output()).toContain(`error: port ${base + 8} is in use (dashboard REST); choose another --base-port\n`);
      expect(startedPids(up).size).toBe(0);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('warns of heap settings that cap the old generation under V8’s own young generation, before it starts anything', async () => {
    const base = await freeBase();
    // A taken port ends the run once the plan (and its warning) is made: nothing is started.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(base + 8, '127.0.0.1', resolve));
    try {
      const up = startUp(base, { MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=16' });
      expect(await up.exited).toEqual({ code: 1, signal: null });
      expect(up.output()).toMatch(/the servers' heap settings cap the old generation at 16 MB, below the \d+ MB their young generation may reach on node v\d+/);
      expect(up.output()).toContain('Set --max-semi-space-size=N in MGRPC_SERVER_NODE_OPTIONS');
      const fine = startUp(base, { MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=16 --max-semi-space-size=4' });
      expect(await fine.exited).toEqual({ code: 1, signal: null });
      expect(fine.output()).not.toContain('heap settings');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('stops everything and exits 1 when a process fails before it serves', async () => {
    const up = startUp(await freeBase(), { GRPC_DEADLINE_MS: 'soon' });
    expect(await up.exited).toEqual({ code: 1, signal: null });
    expect(up.output()).toMatch(/error: \w+ exited with code 1 before it accepted connections \(its output is above\); stopped everything\n/);
    expect(up.output()).toContain("GRPC_DEADLINE_MS must be a positive integer, got 'soon'");
    expect(up.output()).not.toContain('restarting');
    // The others fail the same way as they are stopped: that is the start failing, not a stop.
    expect(up.output()).not.toContain('while stopping');
    expect([...startedPids(up).keys()].filter(alive)).toEqual([]);
  });

  it('with a service token and an API key: says auth is on, serves with them, never prints them', async () => {
    const token = 'up-token-3c9e1f0b7d';
    const key = 'up-key-8a2d4e6f1b';
    const up = startUp(await freeBase(), { MGRPC_SERVICE_TOKEN: token, MGRPC_API_KEY: key });
    await until(() => up.output().includes('mgrpc is up'), 'the up line', up);
    expect(up.output().match(/^auth: .*$/gm)).toEqual(['auth: on — gRPC calls need MGRPC_SERVICE_TOKEN; REST writes need MGRPC_API_KEY; gRPC in plaintext']);
    const dashboard = `http://127.0.0.1:${up.base + 8}`;
    expect((await http('POST', `${dashboard}/api/products`, { title: 'x' })).status).toBe(401);
    const created = await http('POST', `${dashboard}/api/products`, { title: 'x' }, { authorization: `Bearer ${key}` });
    expect(created.status, created.text).toBe(201);
    const copies = await http('GET', `http://127.0.0.1:${up.base + 7}/api/products`);
    expect(copies.body.map((p: { id: string }) => p.id)).toContain(created.body.id);
    up.child.kill('SIGTERM');
    expect(await up.exited).toEqual({ code: 0, signal: null });
    expect(up.output()).not.toContain(token);
    expect(up.output()).not.toContain(key);
  });

  it('a missing certificate file is one error naming it, and nothing starts', async () => {
    const missing = path.join(tmpdir(), 'mgrpc-no-such-cert.pem');
    const up = startUp(await freeBase(), { MGRPC_TLS_CERT: missing, MGRPC_TLS_KEY: missing });
    expect(await up.exited).toEqual({ code: 1, signal: null });
    expect(up.output()).toContain(`error: MGRPC_TLS_CERT=${missing}: cannot read the file (no such file)\n`);
    expect(startedPids(up).size).toBe(0);
  });

  it('leaves no orphans when up itself is SIGKILLed', async () => {
    const up = startUp(await freeBase());
    await until(() => up.output().includes('mgrpc is up'), 'the up line', up);
    const pids = [...startedPids(up).keys()];
    expect(pids).toHaveLength(4);
    up.child.kill('SIGKILL');
    await up.exited;
    await until(() => pids.every((pid) => !alive(pid)), 'the children to stop by themselves', up);
  });
});
