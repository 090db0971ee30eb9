/**
 * One context for a running system, as a user meets it: `mgrpc up` on a base port and data
 * directory of its own, then every command run from the same directory with no flags and no
 * MGRPC_* / *_GRPC_SERVER variables finds it through `.mgrpc/state.json` (client commands,
 * `call`, `describe`, `outbox`, `status`, and `ui` in a real terminal). Also: a "cannot
 * reach" message names the address and where it came from; read-only commands never create
 * a database; a stale state file is ignored with a note.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freeBasePort, freePort } from '../support/ports.js';
import { CLI } from '../support/system.js';
import { hasTmux, Terminal } from '../support/terminal.js';
import { alive, waitUntil } from '../support/wait.js';

/** Every variable that could point a command at a system: none of them may help. */
const ADDRESS_VARIABLE = /^(MGRPC_|[A-Z0-9_]+_GRPC_SERVER$|[A-Z0-9_]*DATABASE_URL$)/;
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1', LOG_LEVEL: 'warn' };
  for (const [name, value] of Object.entries(process.env)) if (!ADDRESS_VARIABLE.test(name)) env[name] = value;
  return env;
};

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `mgrpc <args>` in `cwd`, with no address variables (plus `env`). */
function mgrpcIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...cleanEnv(), ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const ok = (result: Result, what: string): Result => {
  expect(result.code, `${what}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
  return result;
};

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('mgrpc up, then every command from the same directory with no flags and no variables', () => {
  let work: string;
  let dataDir: string;
  let base: number;
  let up: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    work = tempDir('mgrpc-context-');
    dataDir = path.join(work, 'state-data');
    base = await freeBasePort([6, 7, 8, 9]);
    up = spawn(process.execPath, [CLI, 'up', '--base-port', String(base), '--data-dir', dataDir], {
      cwd: work,
      env: { ...cleanEnv(), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    up.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise((resolve) => up.once('exit', (code) => resolve(code)));
    // As long as it takes on a loaded machine: the test's own timeout bounds it.
    await waitUntil('the up line', () => output.includes('mgrpc is up') || up.exitCode !== null, 10 * 60_000);
    if (!output.includes('mgrpc is up')) throw new Error(`mgrpc up exited:\n${output}`);
  }, 10 * 60_000);

  afterAll(async () => {
    if (up && up.exitCode === null && up.signalCode === null) {
      up.kill('SIGTERM');
      await exited;
    }
  });

  it('up records where it runs in .mgrpc/state.json and prints the exports for other shells', () => {
    const state = JSON.parse(readFileSync(path.join(work, '.mgrpc/state.json'), 'utf8'));
    expect(state).toMatchObject({ version: 1, pid: up.pid, basePort: base, dataDir, host: '127.0.0.1', replicas: 1 });
    expect(state.services).toEqual({
      dashboard: { rest: [`http://127.0.0.1:${base + 8}`], grpc: `127.0.0.1:${base + 9}` },
      product: { rest: [`http://127.0.0.1:${base + 7}`], grpc: `127.0.0.1:${base + 6}` },
    });
    expect(state.processes.map((p: { name: string; address: string }) => `${p.name} ${p.address}`).sort()).toEqual(
      [`dashboard 127.0.0.1:${base + 8}`, `dashboard_grpc 127.0.0.1:${base + 9}`, `product 127.0.0.1:${base + 7}`, `product_grpc 127.0.0.1:${base + 6}`].sort(),
    );
    for (const line of [
      `  export MGRPC_DASHBOARD_URL=http://127.0.0.1:${base + 8}\n`,
      `  export MGRPC_PRODUCT_URL=http://127.0.0.1:${base + 7}\n`,
      `  export DASHBOARD_GRPC_SERVER=127.0.0.1:${base + 9}\n`,
      `  export PRODUCT_GRPC_SERVER=127.0.0.1:${base + 6}\n`,
      `  export MGRPC_DATA_DIR=${dataDir}\n`,
    ]) {
      expect(output).toContain(line);
    }
  });

  it('client commands, call, describe, outbox, status and ui all find it', { timeout: 5 * 60_000 }, async () => {
    const user = JSON.parse(ok(await mgrpcIn(work, ['user', 'create', '--json']), 'user create').stdout) as { id: string };
    const liker = JSON.parse(ok(await mgrpcIn(work, ['user', 'create', '--json']), 'user create').stdout) as { id: string };
    const created = JSON.parse(ok(await mgrpcIn(work, ['product', 'create', '--title', 'Context pen', '--json']), 'product create').stdout) as { id: string };
    expect(ok(await mgrpcIn(work, ['product', 'list']), 'product list').stdout).toContain('Context pen');
    expect(ok(await mgrpcIn(work, ['product', 'get', created.id]), 'product get').stdout).toContain('Context pen');
    expect(ok(await mgrpcIn(work, ['product', 'update', created.id, '--title', 'Context pencil']), 'product update').stdout).toContain('Context pencil');
    expect(ok(await mgrpcIn(work, ['product', 'like', created.id, '--user', user.id]), 'product like').stdout).toContain('1 like');
    // The copy reaches the product service through the outbox; the list waits on that event.
    await waitUntil('the copy on the product service', async () => (await mgrpcIn(work, ['product', 'list', '--source', 'product'])).stdout.includes('Context pencil'), 60_000);

    const called = ok(await mgrpcIn(work, ['call', 'ProductService/LikeProduct', '--data', JSON.stringify({ id: created.id, userId: liker.id })]), 'call');
    expect(JSON.parse(called.stdout)).toBeTypeOf('object');
    expect(ok(await mgrpcIn(work, ['describe', 'product.ProductService']), 'describe').stdout).toContain('rpc LikeProduct');

    const outbox = JSON.parse(ok(await mgrpcIn(work, ['outbox', '--json']), 'outbox').stdout) as { service: string; database: string }[];
    expect(outbox.map((s) => s.database).sort()).toEqual([`sqlite:${dataDir}/dashboard.sqlite3`, `sqlite:${dataDir}/product.sqlite3`]);

    const status = JSON.parse(ok(await mgrpcIn(work, ['status', '--json']), 'status').stdout);
    expect(status.ok).toBe(true);
    expect(status.source).toContain(`(pid ${up.pid}, ${path.join(work, '.mgrpc/state.json')})`);
    expect(status.processes.map((p: { name: string; address: string; health: string }) => `${p.name} ${p.address} ${p.health}`).sort()).toEqual(
      [
        `dashboard http://127.0.0.1:${base + 8} up`,
        `dashboard_grpc 127.0.0.1:${base + 9} up`,
        `product http://127.0.0.1:${base + 7} up`,
        `product_grpc 127.0.0.1:${base + 6} up`,
      ].sort(),
    );
    expect(status.outbox.map((s: { service: string }) => s.service).sort()).toEqual(['dashboard', 'product']);
    expect(ok(await mgrpcIn(work, ['status']), 'status').stdout).toMatch(/^all processes up$/m);

    if (hasTmux) {
      const unset = Object.keys(process.env).filter((name) => ADDRESS_VARIABLE.test(name));
      const term = new Terminal(['ui'], { columns: 100, rows: 24, cwd: work, unset });
      try {
        const screen = await term.waitFor(/dashboard ● up\s+dashboard_grpc ● up\s+product ● up\s+product_grpc ● up/, 60_000);
        expect(screen).toContain(`dashboard http://127.0.0.1:${base + 8} · product http://127.0.0.1:${base + 7}`);
        await term.waitFor(/Context pencil/, 60_000);
        // The products stream too: the dashboard's gRPC server, from the state file.
        await term.waitFor(/ · live$/m, 60_000);
        term.press('q');
        await term.waitFor(/EXIT=0/, 60_000);
      } finally {
        term.close();
      }
    }

    expect(ok(await mgrpcIn(work, ['product', 'delete', created.id]), 'product delete').stdout).toContain(created.id);
  });

  it('stopping up removes the state file; commands then say where they looked', { timeout: 5 * 60_000 }, async () => {
    up.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(work, '.mgrpc/state.json'))).toBe(false);
    const status = await mgrpcIn(work, ['status']);
    expect(status.code, status.stdout + status.stderr).toBe(1);
    expect(status.stdout).toContain(`addresses from the default, as no \`mgrpc up\` runs for ${work}`);
    expect(status.stdout).toMatch(/4 of 4 processes not up/);
  });
});

describe('where an address came from, and a stale state file', () => {
  /** A state file as a running `up` writes it (this test process stands in for `up`), pointing at ports nothing listens on. */
  async function fakeUp(dir: string, pid = process.pid) {
    const [rest, grpc] = [await freePort(), await freePort()];
    const state = {
      version: 1,
      pid,
      startedAt: '2026-12-06T10:00:00.000Z',
      host: '127.0.0.1',
      reachable: '127.0.0.1',
      basePort: 10000,
      replicas: 1,
      dataDir: path.join(dir, 'nowhere'),
      databases: {},
      processes: [],
      services: { dashboard: { rest: [`http://127.0.0.1:${rest}`], grpc: `127.0.0.1:${grpc}` }, product: { rest: [`http://127.0.0.1:${rest}`], grpc: `127.0.0.1:${grpc}` } },
    };
    mkdirSync(path.join(dir, '.mgrpc'), { recursive: true });
    writeFileSync(path.join(dir, '.mgrpc/state.json'), JSON.stringify(state));
    return { rest, grpc, file: path.join(dir, '.mgrpc/state.json') };
  }

  it('a "cannot reach" names the address and the state file of the up it came from; a variable wins over it', async () => {
    const dir = tempDir('mgrpc-origin-');
    const { rest, grpc, file } = await fakeUp(dir);
    const listed = await mgrpcIn(dir, ['product', 'list']);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain(`cannot reach the dashboard at http://127.0.0.1:${rest} (connection refused; address from \`mgrpc up\` started `);
    expect(listed.stderr).toContain(`(pid ${process.pid}, ${file})) — is it running?`);

    const called = await mgrpcIn(dir, ['call', 'user.UserService/GetUser', '--deadline', '5000']);
    expect(called.code).toBe(1);
    expect(called.stderr).toMatch(new RegExp(`^ERROR: UNAVAILABLE: cannot reach the gRPC server at 127\\.0\\.0\\.1:${grpc} \\(connection refused; address from \`mgrpc up\` started .*--addr HOST:PORT`));
    expect(called.stderr).not.toMatch(/No connection established|Resolution note/);

    const other = `http://127.0.0.1:${await freePort()}`;
    const overridden = await mgrpcIn(dir, ['product', 'list'], { MGRPC_DASHBOARD_URL: other });
    expect(overridden.stderr).toContain(`cannot reach the dashboard at ${other} (connection refused; address from MGRPC_DASHBOARD_URL)`);
    const flagged = await mgrpcIn(dir, ['call', 'user.UserService/GetUser', '--addr', `127.0.0.1:${grpc}`]);
    expect(flagged.stderr).toContain('address from --addr');
  });

  it('a state file whose up is not running is ignored, with a note', async () => {
    const dir = tempDir('mgrpc-stale-');
    // A pid that is not running: a child that has exited.
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    await waitUntil('the child to be gone', () => !alive(pid), 10_000);
    const { file } = await fakeUp(dir, pid);
    const listed = await mgrpcIn(dir, ['product', 'list']);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain(`note: ignoring ${file}: the \`mgrpc up\` that wrote it (pid ${pid}, started `);
    expect(listed.stderr).toContain('cannot reach the dashboard at http://127.0.0.1:10008 (connection refused; address from the default, as no `mgrpc up` runs for');
  });
});

describe('read-only commands never create a database', () => {
  it('outbox with no database: names the path it looked at, exit 1, and creates nothing', async () => {
    const dir = tempDir('mgrpc-readonly-');
    const result = await mgrpcIn(dir, ['outbox']);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain(`dashboard: no database at ${path.join(dir, 'data/dashboard.sqlite3')} (data dir from the default`);
    expect(result.stdout).not.toMatch(/mgrpc migrate/);
    expect(readdirSync(dir)).toEqual([]);

    const elsewhere = path.join(dir, 'not-here');
    const flagged = await mgrpcIn(dir, ['outbox', '--data-dir', elsewhere, '--service', 'product']);
    expect(flagged.code).toBe(1);
    expect(flagged.stdout).toBe(`product: no database at ${path.join(elsewhere, 'product.sqlite3')} (data dir from --data-dir): pass --data-dir, or set MGRPC_DATA_DIR, to where \`mgrpc up\` keeps it\n`);
    const fromVariable = await mgrpcIn(dir, ['outbox', '--service', 'product'], { MGRPC_DATA_DIR: elsewhere });
    expect(fromVariable.stdout).toContain('(data dir from MGRPC_DATA_DIR)');
    const status = await mgrpcIn(dir, ['status']);
    expect(status.code).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('outbox --help names the data directory and its variable', async () => {
    const help = ok(await mgrpcIn(tmpdir(), ['outbox', '--help']), 'outbox --help');
    expect(help.stdout).toMatch(/--data-dir <dir>/);
    expect(help.stdout).toMatch(/\$MGRPC_DATA_DIR/);
  });
});
