/**
 * `mgrpc bench --watch-fanout`: how WatchProducts fans out. On SQLite in a temp dir, the
 * dashboard's gRPC server (built CLI, as in production) and the bare grpc-js baseline
 * (bare/grpc-watch-server.ts) each get 100 and then 1,000 watchers (watchers.ts, a separate
 * process) while one product is liked `changes` times at a steady rate. Per run: p50/p99 of
 * like-sent -> watcher-received, the server's CPU per delivered message (from /proc), and its
 * resident memory per watcher (RSS with the watchers open minus before). Targets, reported
 * and not enforced: p99 < 50 ms at 1,000 watchers, RSS < 150 MB.
 */
import { fork, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '../../services/framework/server-process.js';
import { openBareDbAt } from '../bare/open.js';
import { BENCH_DIST, CLI } from '../paths.js';
import { cpuMsOf, memoryOf, startBareServer, startFrameworkServer, type ServerProcess } from '../servers.js';
import type { LatencySummary } from '../stats.js';
import type { FanoutLoadResult, FanoutLoadSpec, FanoutMessage } from './watchers.js';

export interface FanoutOptions {
  watchers: number[];
  changes: number;
  ratePerSecond: number;
  command?: string;
  progress?: (line: string) => void;
  /** Write a V8 CPU profile of each server, framework and bare, here (node --cpu-prof). */
  profileDir?: string;
}

export interface FanoutRow {
  impl: 'framework' | 'bare';
  watchers: number;
  delivered: number;
  expected: number;
  delay: LatencySummary;
  like: LatencySummary;
  /** Server CPU (user + system) during the likes, per message delivered, in microseconds. */
  cpuUsPerDelivery: number;
  rssMbIdle: number;
  rssMbWatching: number;
  rssKbPerWatcher: number;
}

export interface FanoutResult {
  kind: 'watch-fanout';
  date: string;
  command?: string;
  machine: string;
  changes: number;
  ratePerSecond: number;
  rows: FanoutRow[];
  /** p99 < 50 ms at 1,000 watchers and peak RSS < 150 MB (reported, not enforced). */
  targets: { p99At1000Ms: number | undefined; peakRssMb: number; met: boolean };
}

function runLoad(spec: FanoutLoadSpec, onOpen: () => Promise<void>): Promise<FanoutLoadResult> {
  const child = fork(path.join(BENCH_DIST, 'watch/watchers.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (message: FanoutMessage) => {
      if (message.type === 'open') void onOpen().then(() => child.send({ type: 'go' }), reject);
      else if (message.type === 'result') resolve(message.result);
      else reject(new Error(`watch load failed: ${message.message}`));
    });
    child.once('exit', (code) => (code ? reject(new Error(`watch load exited ${code}`)) : undefined));
    child.send({ type: 'start', spec });
  });
}

async function insertProduct(file: string): Promise<string> {
  const db = await openBareDbAt(file);
  const id = randomUUID();
  const now = `${new Date().toISOString().replace('T', ' ').slice(0, 23)} +00:00`;
  await db.all('INSERT INTO products (id, title, image, likes, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)', [id, 'Watched', null, now, now]);
  await db.close();
  return id;
}

export async function runWatchFanout(options: FanoutOptions): Promise<FanoutResult> {
  const say = options.progress ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mgrpc-watch-bench-'));
  const servers: ServerProcess[] = [];
  try {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, MGRPC_DATA_DIR: dir, LOG_LEVEL: 'warn', MGRPC_METRICS_PORT: 'off' };
    const migrated = spawnSync(process.execPath, [CLI, 'migrate', '--service', 'dashboard'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    if (migrated.status !== 0) throw new Error(`mgrpc migrate failed: ${migrated.stderr}`);
    const profile = (name: string) => (options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
    const frameworkProduct = await insertProduct(path.join(dir, 'dashboard.sqlite3'));
    const framework = await startFrameworkServer({ name: 'dashboard_grpc', args: ['grpcrunserver', `127.0.0.1:${port}`, '--service', 'dashboard'], port, kind: 'grpc', env, nodeArgs: profile('dashboard_grpc') });
    servers.push(framework);
    const bareFile = path.join(dir, 'bare-dashboard.sqlite3');
    const bareProduct = await insertProduct(bareFile);
    const bare = await startBareServer('bare_watch', path.join(BENCH_DIST, 'bare/grpc-watch-server.js'), 'grpc', { ...process.env, BENCH_DB: bareFile }, profile('bare_watch'));
    servers.push(bare);

    const rows: FanoutRow[] = [];
    for (const watchers of options.watchers) {
      // Framework and bare back to back at each size, so machine drift hits both alike.
      for (const [impl, server, target, productId] of [
        ['framework', framework, `127.0.0.1:${port}`, frameworkProduct],
        ['bare', bare, `127.0.0.1:${bare.port}`, bareProduct],
      ] as const) {
        const pid = server.child.pid!;
        const idle = memoryOf(pid)?.rssMb ?? 0;
        let watching = 0;
        let cpuBefore = 0;
        say(`${impl}: ${watchers} watchers, ${options.changes} likes at ${options.ratePerSecond}/s`);
        const result = await runLoad({ target, productId, watchers, changes: options.changes, ratePerSecond: options.ratePerSecond }, async () => {
          watching = memoryOf(pid)?.rssMb ?? 0;
          cpuBefore = cpuMsOf(pid) ?? 0;
        });
        const cpuMs = (cpuMsOf(pid) ?? 0) - cpuBefore;
        rows.push({
          impl,
          watchers,
          delivered: result.delivered,
          expected: result.expected,
          delay: result.delay,
          like: result.like,
          cpuUsPerDelivery: Math.round((cpuMs * 1000) / Math.max(1, result.delivered) * 10) / 10,
          rssMbIdle: idle,
          rssMbWatching: watching,
          rssKbPerWatcher: Math.round(((watching - idle) * 1024) / watchers * 10) / 10,
        });
      }
    }
    const at1000 = rows.find((row) => row.impl === 'framework' && row.watchers === 1000);
    const peakRssMb = framework.peakRssMb();
    return {
      kind: 'watch-fanout',
      date: new Date().toISOString(),
      command: options.command,
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      changes: options.changes,
      ratePerSecond: options.ratePerSecond,
      rows,
      targets: { p99At1000Ms: at1000?.delay.p99, peakRssMb, met: (at1000 ? at1000.delay.p99 < 50 : true) && peakRssMb < 150 },
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The result as a table for people. */
export function formatFanout(result: FanoutResult): string {
  const lines = [
    `watch fan-out, ${result.changes} likes at ${result.ratePerSecond}/s (${result.date}, ${result.machine})`,
    'impl       watchers  delivered      p50 ms   p99 ms   max ms  cpu µs/msg  rss idle→watching MB  KB/watcher',
  ];
  for (const row of result.rows) {
    lines.push(
      [
        row.impl.padEnd(10),
        String(row.watchers).padStart(8),
        `${row.delivered}/${row.expected}`.padStart(11),
        row.delay.p50.toFixed(1).padStart(10),
        row.delay.p99.toFixed(1).padStart(8),
        row.delay.max.toFixed(1).padStart(8),
        row.cpuUsPerDelivery.toFixed(1).padStart(11),
        `${row.rssMbIdle}→${row.rssMbWatching}`.padStart(21),
        row.rssKbPerWatcher.toFixed(1).padStart(11),
      ].join(' '),
    );
  }
  lines.push(`targets (not enforced): p99 < 50 ms at 1,000 watchers: ${result.targets.p99At1000Ms ?? '—'} ms; peak RSS < 150 MB: ${result.targets.peakRssMb} MB`);
  return `${lines.join('\n')}\n`;
}
