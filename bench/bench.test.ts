/**
 * `mgrpc bench --quick` end to end with very short runs: the harness starts everything,
 * loads every path, checks the likes, prints and saves JSON of the documented shape, and
 * cleans up. No speed is asserted (this machine is shared); correctness is.
 * Needs `npm run build` (npm test does it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { CLI, ROOT } from './paths.js';
import type { BenchResult } from './run.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mgrpc bench --quick', () => {
  it('runs every path against real and bare servers and reports throughput, latency, RSS and a passing correctness check', { timeout: 120_000 }, () => {
    const out = path.join(dir, 'result.json');
    const run = spawnSync(process.execPath, [CLI, 'bench', '--quick', '--duration', '500ms', '--warmup', '200ms', '--concurrency', '1,4', '--json', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as BenchResult;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
    // Progress goes to stderr as plain lines without a terminal.
    expect(run.stderr).toMatch(/bench: gRPC LikeProduct framework c1/);

    expect(result.settings).toEqual({ durationMs: 500, warmupMs: 200, concurrency: [1, 4], quick: true });
    expect(result.ok).toBe(true);
    expect(result.correctness).toEqual({ ok: true, failures: [] });
    expect(result.errors).toEqual([]);

    const names = (p: BenchResult['phases'][number]) => `${p.path}/${p.impl}/${p.concurrency}`;
    expect(result.phases.map(names).sort()).toEqual(
      ['grpc-like', 'rest-like'].flatMap((kind) => ['framework', 'bare'].flatMap((impl) => [1, 4].map((c) => `${kind}/${impl}/${c}`))).concat(['rest-create/framework/1', 'rest-create/framework/4']).sort(),
    );
    for (const phase of result.phases) {
      expect(phase.check.ok, `${names(phase)}: ${phase.check.message}`).toBe(true);
      expect(phase.ok).toBeGreaterThan(0);
      expect(phase.errorCount).toBe(0);
      expect(phase.throughput).toBeGreaterThan(0);
      expect(phase.latencyMs.p50).toBeGreaterThan(0);
      expect(phase.latencyMs.p99).toBeGreaterThanOrEqual(phase.latencyMs.p50);
      expect(phase.acknowledged).toBeGreaterThanOrEqual(phase.ok);
      expect(Object.keys(phase.rssMb).sort()).toEqual(['bare_grpc', 'bare_rest', 'dashboard', 'dashboard_grpc', 'product', 'product_grpc']);
    }
    for (const phase of result.phases.filter((p) => p.path === 'rest-create')) expect(phase.syncLagMs).toBeGreaterThanOrEqual(0);

    expect(result.ratios.map((r) => `${r.path}/${r.concurrency}`).sort()).toEqual(['grpc-like/1', 'grpc-like/4', 'rest-like/1', 'rest-like/4']);
    for (const r of result.ratios) expect(r.ratio).toBeGreaterThan(0);
    for (const name of ['dashboard', 'dashboard_grpc', 'product', 'product_grpc']) {
      expect(result.coldStartMs[name]).toBeGreaterThan(0);
      expect(result.peakRssMb[name]).toBeGreaterThan(0);
    }
    expect(result.codegen.wallMs).toBeGreaterThan(0);
    expect(result.targets.find((t) => t.name === 'errors and lost likes')).toMatchObject({ met: true });
  });

  it('refuses a bad option with a usage error before starting anything', () => {
    const run = spawnSync(process.execPath, [CLI, 'bench', '--concurrency', '0,x'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/comma-separated list of whole numbers/);
  });
});
