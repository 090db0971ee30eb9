/**
 * `mgrpc up --replicas 2` on SQLite, from the built CLI (`npm run build` first): 8 processes
 * on their announced ports; what one dashboard REST replica writes the other reads and both
 * product replicas receive; likes through both product REST replicas, delivered round-robin
 * to both dashboard gRPC replicas, are counted exactly; SIGINT stops every process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { eventually, pool } from '../support/eventually.js';
import { freeBasePort } from '../support/ports.js';
import { CLI, createUsers, http, ROOT } from '../support/system.js';
import { alive } from '../support/wait.js';

const children: ChildProcess[] = [];
const pids: number[] = [];
const dirs: string[] = [];

/** Offsets of 2 replicas' ports, and of their gRPC processes' metrics ports (+1000). */
const OFFSETS = [6, 7, 8, 9, 16, 17, 18, 19, 1006, 1009, 1016, 1019];

const freeBase = () => freeBasePort(OFFSETS);


/** Successful calls of `method` a gRPC process has served, from its /metrics. */
async function handled(metricsPort: number, method: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^grpc_server_handled_total\{([^}]*)\} (\d+)$/gm)) {
    if (match[1]!.includes(`grpc_method="${method}"`) && match[1]!.includes('grpc_code="OK"')) total += Number(match[2]);
  }
  return total;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('mgrpc up --replicas', () => {
  it('runs 2 replicas of each process that share data, balance gRPC calls, count likes exactly and stop on SIGINT', async () => {
    const base = await freeBase();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-replicas-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, [CLI, 'up', '--replicas', '2', '--base-port', String(base), '--data-dir', dataDir], {
      // Its own directory: `up` writes its state file in the project it stands in, and tests run side by side.
      cwd: dataDir,
      env: { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1', DATABASE_URL: '', DASHBOARD_DATABASE_URL: '', PRODUCT_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const chunks: string[] = [];
    child.stdout!.on('data', (d: Buffer) => chunks.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => chunks.push(d.toString()));
    const output = () => chunks.join('');
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const started = () => [...output().matchAll(/started (\w+) pid=(\d+)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));

    const up = await eventually(async () => output(), (out) => out.includes('mgrpc is up') || child.exitCode !== null, 30_000);
    expect(up, up).toContain('mgrpc is up');
    pids.push(...started().map((s) => s.pid));
    for (const row of [
      `  product_grpc_1    gRPC  127.0.0.1:${base + 6}\n`,
      `  product_grpc_2    gRPC  127.0.0.1:${base + 16}\n`,
      `  product_1         REST  http://127.0.0.1:${base + 7}\n`,
      `  product_2         REST  http://127.0.0.1:${base + 17}\n`,
      `  dashboard_1       REST  http://127.0.0.1:${base + 8}\n`,
      `  dashboard_2       REST  http://127.0.0.1:${base + 18}\n`,
      `  dashboard_grpc_1  gRPC  127.0.0.1:${base + 9}\n`,
      `  dashboard_grpc_2  gRPC  127.0.0.1:${base + 19}\n`,
    ]) {
      expect(up).toContain(row);
    }
    expect(started().map((s) => s.name).sort()).toEqual(
      ['dashboard_1', 'dashboard_2', 'dashboard_grpc_1', 'dashboard_grpc_2', 'product_1', 'product_2', 'product_grpc_1', 'product_grpc_2'],
    );
    // Migrations ran once, in `up`, before any replica started.
    expect(output().match(/dashboard: applied/g)).toHaveLength(1);

    const [dashboard1, dashboard2] = [base + 8, base + 18].map((port) => `http://127.0.0.1:${port}`);
    const [product1, product2] = [base + 7, base + 17].map((port) => `http://127.0.0.1:${port}`);
    const created = await http('POST', `${dashboard1}/api/products`, { title: 'replicated' });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    expect((await http('GET', `${dashboard2}/api/products/${id}`)).body).toMatchObject({ id, title: 'replicated' });
    for (const product of [product1, product2]) {
      const ids = await eventually(
        async () => ((await http('GET', `${product}/api/products`)).body as { id: string }[]).map((p) => p.id),
        (list) => list.includes(id),
        15_000,
      );
      expect(ids).toContain(id);
    }

    // 20 likes by distinct users through each product REST replica, 4 in flight.
    const users = await createUsers(dashboard2, 40);
    const statuses = await pool(40, 4, async (i) => (await http('POST', `${i % 2 === 0 ? product1 : product2}/api/products/${id}/like`, { user_id: users[i] })).status);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const likes = async () => (await http('GET', `${dashboard2}/api/products/${id}`)).body.likes as number;
    expect(await eventually(likes, (n) => n >= 40, 15_000)).toBe(40);
    // Both dashboard gRPC replicas served likes (relayed as LikeProducts): the product processes' clients round-robin.
    const served = await Promise.all([base + 1009, base + 1019].map((port) => handled(port, 'LikeProducts')));
    expect(served.every((n) => n > 0), `LikeProducts per dashboard gRPC replica: ${served.join(', ')}`).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output()).toContain('all processes stopped');
    expect(started().map((s) => s.pid).filter(alive)).toEqual([]);
  });

  it('refuses a replica count outside 1-8', async () => {
    const child = spawn(process.execPath, [CLI, 'up', '--replicas', '9'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain('expected a whole number of replicas, 1-8');
  });
});
