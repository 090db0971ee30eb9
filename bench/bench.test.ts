/**
 * `mgrpc bench --quick` end to end with very short runs: the harness starts everything,
 * loads every path, checks the likes, prints and saves JSON of the documented shape, and
 * cleans up. No speed is asserted (this machine is shared); correctness is.
 * Needs `npm run build` (npm test does it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { CLI, ROOT } from './paths.js';
import type { BenchResult } from './run.js';
import { cpuMsOf } from './servers.js';
import { PEERS, peerInstalled } from './peer-servers.js';
import { redactUrl } from '../services/framework/db/url.js';
import { TEST_POSTGRES_URL } from '../test/support/postgres.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A `--quick --concurrency 1,4` run that passed: every phase ran, every check held, no request failed. */
function expectCleanQuickRun(result: BenchResult): void {
  expect(result.ok).toBe(true);
  expect(result.correctness).toEqual({ ok: true, failures: [] });
  expect(result.errors).toEqual([]);
  const names = (p: BenchResult['phases'][number]) => `${p.path}/${p.impl}/${p.concurrency}`;
  // With the sides that bound the targets: the no-database ceiling, the framework's layer with no
  // database and around the one-trip database work, the bare batched twin with a change log and
  // its one-trip variant, and the bare exactly-once twin.
  const sides = { 'grpc-like': ['framework', 'bare', 'ceiling', 'layer', 'layeronetrip', 'batched', 'onetrip'], 'rest-like': ['framework', 'bare', 'once'] };
  expect(result.phases.map(names).sort()).toEqual(
    Object.entries(sides)
      .flatMap(([kind, impls]) => impls.flatMap((impl) => [1, 4].map((c) => `${kind}/${impl}/${c}`)))
      .concat(['rest-create/framework/1', 'rest-create/framework/4'])
      .sort(),
  );
  for (const phase of result.phases) {
    expect(phase.check.ok, `${names(phase)}: ${phase.check.message}`).toBe(true);
    expect(phase.ok).toBeGreaterThan(0);
    expect(phase.errorCount, `${names(phase)}: ${JSON.stringify(phase.errors)}`).toBe(0);
    // CPU of every server over the phase, and per request of the path's own servers.
    expect(Object.keys(phase.cpuMs).sort()).toEqual(SERVERS);
    for (const ms of Object.values(phase.cpuMs)) expect(ms).toBeGreaterThanOrEqual(0);
    expect(phase.cpuMsPerRequest, names(phase)).toBeGreaterThan(0);
    // The load process's own CPU, to tell a client-bound run from a server-bound one.
    expect(phase.loadCpuMs).toBeGreaterThan(0);
    expect(phase.loadWallMs).toBeGreaterThanOrEqual(phase.measuredMs);
  }
}

const SERVERS = ['bare_grpc', 'bare_rest', 'bare_rest_once', 'batched_grpc', 'ceiling_grpc', 'dashboard', 'dashboard_grpc', 'layer_grpc', 'layer_one_trip_grpc', 'one_trip_grpc', 'product', 'product_grpc'];

/**
 * Runs `mgrpc bench …` to its end, however long a loaded machine makes that: no kill timer
 * of its own (a spawnSync timeout killed a slow but healthy run); the test's timeout ends a hang.
 */
function bench(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'bench', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr, pid: child.pid! }));
  });
}

describe('mgrpc bench --quick', () => {
  it('runs every path against real and bare servers and reports throughput, latency, RSS and a passing correctness check', { timeout: 600_000 }, async () => {
    const out = path.join(dir, 'result.json');
    // The table on stdout, the JSON saved to --out (the PostgreSQL run below prints --json).
    const run = await bench(['--quick', '--duration', '500ms', '--warmup', '200ms', '--concurrency', '1,4', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
    // Progress goes to stderr as plain lines without a terminal.
    expect(run.stderr).toMatch(/bench: gRPC LikeProduct framework c1/);

    expect(result.settings).toEqual({ durationMs: 500, warmupMs: 200, concurrency: [1, 4], quick: true, peers: false });
    expect(result.database).toEqual({ dialect: 'sqlite' });
    expectCleanQuickRun(result);
    for (const phase of result.phases) {
      expect(phase.throughput).toBeGreaterThan(0);
      expect(phase.latencyMs.p50).toBeGreaterThan(0);
      expect(phase.latencyMs.p99).toBeGreaterThanOrEqual(phase.latencyMs.p50);
      expect(phase.acknowledged).toBeGreaterThanOrEqual(phase.ok);
      expect(Object.keys(phase.rssMb).sort()).toEqual(SERVERS);
      // Framework and bare are measured in interleaved slices, 500 ms each in all; the raw samples stay out of the file.
      // No lower bound: a slice's measured time ends with its last request that started in the window, so a
      // stall of the machine can shorten it (seen: 257 ms in all); a window that measured nothing has no
      // requests, and the throughput check above fails.
      expect(phase.measuredMs).toBeLessThan(1500);
      expect(phase).not.toHaveProperty('samples');
    }
    for (const phase of result.phases.filter((p) => p.path === 'rest-create')) expect(phase.syncLagMs).toBeGreaterThanOrEqual(0);

    expect(result.ratios.map((r) => `${r.path}/${r.impl}/${r.concurrency}`).sort()).toEqual(
      ['grpc-like/batched', 'grpc-like/ceiling', 'grpc-like/framework', 'grpc-like/layer', 'grpc-like/layeronetrip', 'grpc-like/onetrip', 'rest-like/framework', 'rest-like/once'].flatMap((side) => [`${side}/1`, `${side}/4`]).sort(),
    );
    for (const r of result.ratios) expect(r.ratio).toBeGreaterThan(0);
    // Every side measured against a twin ran in --quick's two slices (rest-create, alone, in
    // one), and each ratio's per-slice range is that of its own slices against its twin's (the
    // k-th against the k-th).
    for (const phase of result.phases) expect(phase.sliceThroughputs, `${phase.path} ${phase.impl} c${phase.concurrency}`).toHaveLength(phase.path === 'rest-create' ? 1 : 2);
    for (const r of result.ratios) {
      const side = result.phases.find((p) => p.path === r.path && p.impl === r.impl && p.concurrency === r.concurrency)!;
      const bare = result.phases.find((p) => p.path === r.path && p.impl === 'bare' && p.concurrency === r.concurrency)!;
      const ratios = side.sliceThroughputs.map((t, k) => t / bare.sliceThroughputs[k]);
      expect(r.sliceRange![0]).toBeCloseTo(Math.min(...ratios), 2);
      expect(r.sliceRange![1]).toBeCloseTo(Math.max(...ratios), 2);
      // The 90% interval from two pairs lies around their geometric mean (slices.test.ts holds its arithmetic).
      const geomean = Math.sqrt(ratios[0] * ratios[1]);
      expect(r.interval![0]).toBeLessThanOrEqual(geomean + 0.001);
      expect(r.interval![1]).toBeGreaterThanOrEqual(geomean - 0.001);
    }
    for (const c of [1, 4]) {
      const ours = result.ratios.find((r) => r.path === 'rest-like' && r.impl === 'framework' && r.concurrency === c)!;
      const target = result.targets.find((t) => t.name === `REST like c${c} framework/bare`)!;
      expect(target.sliceRange).toEqual(ours.sliceRange);
      expect(target.interval).toEqual(ours.interval);
    }
    // The table shows the interval next to the ratio.
    expect(run.stdout).toMatch(/REST like c4 framework\/bare +>= 0\.90x +\d+\.\d\dx \(90% \d+\.\d\d-\d+\.\d\dx\)/);
    // Each REST like target carries its bound: the exactly-once twin's ratio in the same run.
    for (const c of [1, 4]) {
      const once = result.ratios.find((r) => r.path === 'rest-like' && r.impl === 'once' && r.concurrency === c)!;
      const ours = result.ratios.find((r) => r.path === 'rest-like' && r.impl === 'framework' && r.concurrency === c)!;
      const target = result.targets.find((t) => t.name === `REST like c${c} framework/bare`)!;
      expect(target.bounds).toEqual([{ label: 'bare exactly-once', kind: 'limit', ratio: once.ratio, unit: 'x', reachable: once.ratio >= 0.9 }]);
      // Out of reach only when the twin missed it too and ours did no better than the twin.
      expect(target.outOfReach).toBe(ours.ratio < 0.9 && once.ratio < 0.9 && ours.ratio <= once.ratio);
    }
    for (const name of ['dashboard', 'dashboard_grpc', 'product', 'product_grpc']) {
      expect(result.coldStartMs[name]).toBeGreaterThan(0);
      expect(result.firstStartMs[name]).toBeGreaterThan(0);
      expect(result.peakRssMb[name]).toBeGreaterThan(0);
    }
    expect(result.codegen.wallMs).toBeGreaterThan(0);
    expect(result.targets.find((t) => t.name === 'errors and lost likes')).toMatchObject({ met: true });
  });

  it('starts only the sides of the paths it runs: a REST like run starts no LikeProduct bound', { timeout: 600_000 }, async () => {
    // Saved to the test's own folder, not bench/results/ (the default).
    const run = await bench(['--quick', '--paths', 'rest-like', '--duration', '400ms', '--warmup', '100ms', '--concurrency', '2', '--json', '--out', path.join(dir, 'result-rest-like.json')]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as BenchResult;
    expect(result.ok).toBe(true);
    expect(result.phases.map((p) => p.impl).sort()).toEqual(['bare', 'framework', 'once']);
    for (const phase of result.phases) {
      expect(phase.check.ok, `${phase.impl}: ${phase.check.message}`).toBe(true);
      expect(Object.keys(phase.rssMb).sort()).toEqual(['bare_grpc', 'bare_rest', 'bare_rest_once', 'dashboard', 'dashboard_grpc', 'product', 'product_grpc']);
    }
    expect(run.stderr).not.toMatch(/ceiling_grpc|layer_grpc|layer_one_trip_grpc|batched_grpc|one_trip_grpc/);
  });

  it('runs on PostgreSQL with --database postgres: fresh databases for every service and bare baseline, checks passing, all dropped after', { timeout: 600_000 }, async () => {
    const out = path.join(dir, 'result-postgres.json');
    // `postgres` is the local server the PostgreSQL tests use; MGRPC_TEST_POSTGRES_URL names another.
    const server = new URL(TEST_POSTGRES_URL);
    server.pathname = '/';
    const database = process.env.MGRPC_TEST_POSTGRES_URL ? server.toString() : 'postgres';
    const run = await bench(['--quick', '--duration', '500ms', '--warmup', '200ms', '--concurrency', '1,4', '--database', database, '--json', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as BenchResult;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
    expect(result.database).toEqual({ dialect: 'postgres', server: redactUrl(server.toString()) });
    expectCleanQuickRun(result);
    // The run's databases (named after its pid) are gone.
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`mgrpc_bench_${run.pid}_%`]);
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  // The peers are installed from the npm registry on first use, which a test must not need:
  // this runs where `mgrpc bench --peers` ran before (bench/peers/*/node_modules exist), and is
  // skipped in a fresh clone (CI).
  it.skipIf(!PEERS.every(peerInstalled))('runs LikeProduct on the NestJS and connect-node peers and the REST like on NestJS with --peers, interleaved with framework and bare, each as a ratio to bare', { timeout: 600_000 }, async () => {
    const out = path.join(dir, 'result-peers.json');
    const run = await bench(['--quick', '--peers', '--paths', 'grpc-like,rest-like', '--duration', '1s', '--warmup', '300ms', '--concurrency', '4', '--json', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as BenchResult;
    expect(result.ok).toBe(true);
    expect(result.settings.peers).toBe(true);
    const impls = (path: string) => result.phases.filter((p) => p.path === path).map((p) => p.impl).sort();
    expect(impls('grpc-like')).toEqual(['bare', 'batched', 'ceiling', 'connect', 'framework', 'layer', 'layeronetrip', 'nest', 'onetrip']);
    // connect-node has no REST routes: only NestJS serves the REST like.
    expect(impls('rest-like')).toEqual(['bare', 'framework', 'nest', 'once']);
    for (const phase of result.phases) {
      // For the NestJS REST like: each like counted once on its gRPC peer, a like row each.
      expect(phase.check.ok, `${phase.path} ${phase.impl}: ${phase.check.message}`).toBe(true);
      expect(phase.ok, phase.impl).toBeGreaterThan(0);
      expect(phase.cpuMsPerRequest, phase.impl).toBeGreaterThan(0);
    }
    expect(result.ratios.filter((r) => r.path === 'grpc-like').map((r) => r.impl).sort()).toEqual(['batched', 'ceiling', 'connect', 'framework', 'layer', 'layeronetrip', 'nest', 'onetrip']);
    expect(result.ratios.filter((r) => r.path === 'rest-like').map((r) => r.impl).sort()).toEqual(['framework', 'nest', 'once']);
    for (const r of result.ratios) expect(r.ratio).toBeGreaterThan(0);
    for (const name of ['nest_grpc', 'connect_grpc', 'nest_rest']) {
      expect(result.coldStartMs[name]).toBeGreaterThan(0);
      expect(result.peakRssMb[name]).toBeGreaterThan(0);
    }
    expect(run.stderr).toMatch(/bench: gRPC LikeProduct NestJS c4/);
    expect(run.stderr).toMatch(/bench: REST like NestJS c4/);
  });

  it('reads a process\'s CPU time from /proc: it grows while the process works', () => {
    const before = cpuMsOf(process.pid)!;
    // Work until node itself counts 60 ms more CPU: wall time is no measure on a busy machine, where
    // 60 ms of it gave this process 30 ms of CPU. Bounded at 10 s of wall time.
    const start = process.cpuUsage();
    const giveUp = performance.now() + 10_000;
    const usedMs = () => {
      const { user, system } = process.cpuUsage(start);
      return (user + system) / 1000;
    };
    while (usedMs() < 60 && performance.now() < giveUp) Math.sqrt(Math.random());
    expect(usedMs()).toBeGreaterThanOrEqual(60);
    // /proc counts in clock ticks (10 ms): allow one tick at each end.
    expect(cpuMsOf(process.pid)! - before).toBeGreaterThanOrEqual(40);
    expect(cpuMsOf(2 ** 22 + 1)).toBeUndefined();
  });

  it('refuses a bad option with a usage error before starting anything', async () => {
    const run = await bench(['--concurrency', '0,x']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/comma-separated list of whole numbers/);
  });

  it('refuses a database that is neither sqlite nor postgres', async () => {
    const run = await bench(['--database', 'mysql://root@localhost/']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/expected sqlite, postgres .* or a postgres:\/\/user@host:port\/ server URL/);
  });
});
