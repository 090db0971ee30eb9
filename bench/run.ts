/**
 * `mgrpc bench`: starts the real servers (built CLI, SQLite in a temp dir or fresh PostgreSQL
 * databases: databases.ts) and the bare
 * baselines, loads each path from a separate process (load.ts) for a fixed time at each
 * concurrency, checks that every acknowledged like was counted exactly once, and returns
 * the numbers (report.ts prints and saves them).
 *
 * Paths, each at every concurrency, framework and bare runs interleaved so drift in the
 * machine's speed hits both alike:
 *   grpc-like    LikeProduct on the dashboard gRPC server  vs bare/grpc-like-server.ts
 *   rest-like    POST /api/products/:id/like on the product service (row + outbox + LikeProduct
 *                on the dashboard)                          vs bare/rest-like-pipeline.ts -> bare gRPC
 *   rest-create  POST /api/products on the dashboard, synced to the product service by the relay
 * More sides measure what the targets can reach at all, interleaved with the same pair, each an
 * entry of bounds/sides.ts:
 *   grpc-like    the ceiling: grpc-js answering from memory, no database (grpc-ceiling-server.ts);
 *                the framework's per-call layer answering from memory (framework-layer-server.ts);
 *                our LikeProduct's database work by hand: batches, a change log (grpc-like-batched.ts);
 *                the same work in one trip, the log written by a trigger (grpc-like-one-trip.ts)
 *   rest-like    the bare exactly-once twin: outbox, idempotency key, inbox (rest-like-once.ts)
 * Only the sides of the paths being run are started.
 * With `peers`, LikeProduct also runs on the peers (peer-servers.ts: NestJS, connect-node), and
 * the REST like on NestJS (an HTTP app calling the NestJS gRPC peer), interleaved with the same
 * pair, each shown as a ratio to the bare server or pipeline.
 */
import { fork, spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { LOAD_KINDS, type LoadKind } from './kinds.js';
import type { LoadCommand, LoadMessage, LoadResult, LoadSpec } from './load.js';
import { BENCH_DIST, CLI, PROTO_DIR } from './paths.js';
import { openBareDbAt } from './bare/open.js';
import { openDb, type Db } from './bare/sqlite.js';
import { openPgDb } from './bare/postgres.js';
import { productServiceClient } from './product-proto.js';
import { interleavedOrder, mergeSlices, ratioInterval, sliceRatioRange } from './slices.js';
import { boundKind, boundOf, BOUNDS, boundsOf, type BoundImpl } from './bounds/sides.js';
import { outOfReach, type BoundKind } from './verdicts.js';
import { PEER_LABEL, PEERS, peerRestMain, preparePeer, REST_PEERS, type Peer } from './peer-servers.js';
import { createBenchUsers } from './users.js';
import { createBenchDatabases, redactedChoice, type BenchDatabase, type BenchDatabases } from './databases.js';
import { clearCodeCaches, cpuMsOf, memoryOf, startBareServer, startFrameworkServer, type ServerProcess } from './servers.js';
import { freePort, serverNodeFlags, serverProcessEnv } from '../services/framework/server-process.js';

/** Who serves a phase: our servers, the bare baseline, a side that bounds a target (bounds/sides.ts), or a peer framework (--peers). */
export type Impl = 'framework' | 'bare' | BoundImpl | Peer;

export interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  concurrency: number[];
  /** Which paths to run (default all): e.g. only `rest-like` while working on it. */
  paths?: LoadKind[];
  quick: boolean;
  /** SQLite files in a temp dir (the default) or fresh databases on a PostgreSQL server. */
  database?: BenchDatabase;
  /** Per request, in the load generator. */
  timeoutMs?: number;
  /** Also run LikeProduct on the peers (NestJS, connect-node), installed on first use. */
  peers?: boolean;
  /** Write a V8 CPU profile of each server, framework and bare, here (node --cpu-prof). */
  profileDir?: string;
  /** The command line, recorded in the results. */
  command?: string;
  progress?: {
    update(fraction: number, label: string, leftMs?: number): void;
    line(text: string): void;
  };
}

export interface Check {
  ok: boolean;
  message: string;
}

export interface PhaseResult extends LoadResult {
  path: LoadKind;
  impl: Impl;
  concurrency: number;
  /** Largest VmRSS of each server sampled during the phase, MB. */
  rssMb: Record<string, number>;
  /** CPU time each server used during the phase (warm-up included), ms (Linux only). */
  cpuMs: Record<string, number>;
  /**
   * CPU the servers on this path used per request (warm-up included), ms: what the work costs
   * whatever else the machine is doing, where throughput and latency move with it. Null where
   * /proc is not available.
   */
  cpuMsPerRequest: number | null;
  /** Each slice's throughput (req/s), in the order they ran (see slices.ts). */
  sliceThroughputs: number[];
  /** Likes or products the servers hold afterwards vs what the load generator was told. */
  check: Check;
  /** rest-create: ms after the load ended until the product service held every product. */
  syncLagMs?: number;
}

export interface Target {
  name: string;
  target: string;
  actual: string;
  met: boolean;
  /**
   * What bounds this target in the same run, where the bench measures it: the ceiling's, the
   * framework layer's, the batched twin's and the one-trip bound's ratios (LikeProduct), the
   * bare exactly-once twin's ratio or p99 (REST like). `reachable` is false when that side
   * misses the target itself: no server doing no more than it does met the target here.
   */
  bounds?: Bound[];
  /** A ratio target's lowest and highest per-slice ratio in this run (slices.ts): how far the machine moved it. */
  sliceRange?: [number, number];
  /** A ratio target's 90% confidence interval from its slices (ratioInterval): a target inside it is within this run's noise. */
  interval?: [number, number];
  /**
   * Missed, and a bound says no server doing no more than that side could meet it here: the
   * side missed the target itself and ours did not do better than it (a bound ours beats,
   * as batching beats the exactly-once twin under load, bounds nothing). The batched twin
   * bounds only servers that write a like batch as ours does: when the one-trip bound, which
   * keeps the same guarantees, meets the target, its miss proves nothing about the machine.
   */
  outOfReach?: boolean;
}

export interface Bound {
  label: string;
  /** What the side bounds (verdicts.ts): `limit`, `design` or `other-design`. */
  kind: BoundKind;
  /** The bound side's ratio to the bare side (`x`), or its p99 (`ms`). */
  ratio: number;
  unit: 'x' | 'ms';
  reachable: boolean;
}

export interface BenchResult {
  date: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  settings: { durationMs: number; warmupMs: number; concurrency: number[]; quick: boolean; peers: boolean };
  /** What the servers and the bare baselines stored their data in (the server's password never shown). */
  database: { dialect: 'sqlite' } | { dialect: 'postgres'; server: string };
  codegen: { wallMs: number; reportedMs: number | null };
  /** Spawn until health answers; our servers with V8's code cache from their previous start (see firstStartMs). */
  coldStartMs: Record<string, number>;
  /** Each of our servers' first start after a build: no code cache yet (cli/serve/bundle.ts); it saves one when it stops. */
  firstStartMs: Record<string, number>;
  peakRssMb: Record<string, number>;
  phases: PhaseResult[];
  /**
   * Each framework or peer phase's throughput against its bare twin's, measured interleaved;
   * `sliceRange`, the lowest and highest ratio of its slices to the twin's, and `interval`, the
   * ratio's 90% confidence interval from them (slices.ts).
   */
  ratios: { path: LoadKind; concurrency: number; impl: Exclude<Impl, 'bare'>; throughput: number; bare: number; ratio: number; sliceRange?: [number, number]; interval?: [number, number] }[];
  targets: Target[];
  /** Every acknowledged like counted exactly once, every created product synced. */
  correctness: { ok: boolean; failures: string[] };
  /** Phases in which requests failed (warm-up included). */
  errors: string[];
  /** Correctness held and no request failed. Speed targets are reported, never enforced. */
  ok: boolean;
  totalMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function httpJson(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A warm load process (load.ts): one per side of an interleaved group, measuring its slices in turn. */
interface LoadProcess {
  /** Measures one slice, relaying its progress. */
  run(warmupMs: number, durationMs: number, onProgress: (elapsedMs: number) => void): Promise<LoadResult>;
  stop(): Promise<void>;
}

function startLoadProcess(spec: LoadSpec): LoadProcess {
  const child = fork(path.join(BENCH_DIST, 'load.js'), [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let current: { resolve(result: LoadResult): void; reject(err: Error): void; onProgress(elapsedMs: number): void } | undefined;
  let failure: string | undefined;
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: LoadMessage) => {
    if (message.type === 'progress') current?.onProgress(message.elapsedMs);
    else if (message.type === 'result') {
      current?.resolve(message.result);
      current = undefined;
    } else failure = message.message;
  });
  const fail = (err: Error) => {
    current?.reject(err);
    current = undefined;
  };
  child.once('error', fail);
  child.once('exit', (code) => {
    exited = code;
    fail(new Error(`the load generator failed (exit ${code}): ${failure ?? 'no result'}`));
  });
  return {
    run: (warmupMs, durationMs, onProgress) =>
      new Promise((resolve, reject) => {
        if (exited !== undefined) return reject(new Error(`the load generator exited (${exited}): ${failure ?? 'no result'}`));
        current = { resolve, reject, onProgress };
        const command: LoadCommand = { type: 'run', warmupMs, durationMs };
        child.send(command);
      }),
    stop() {
      if (exited === undefined) child.send({ type: 'stop' } satisfies LoadCommand);
      return exit;
    },
  };
}

/** Env of the servers: this system only, whatever the caller's shell or .env says. */
function serverEnv(dataDir: string, ports: { dashboardGrpc: number; productGrpc: number }, databases: BenchDatabases): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(MGRPC_|DATABASE_URL$|DASHBOARD_DATABASE_URL$|PRODUCT_DATABASE_URL$|PRODUCT_GRPC_SERVER$|DASHBOARD_GRPC_SERVER$)/.test(key)) delete env[key];
  }
  return {
    ...env,
    MGRPC_DATA_DIR: dataDir,
    PRODUCT_GRPC_SERVER: `127.0.0.1:${ports.productGrpc}`,
    DASHBOARD_GRPC_SERVER: `127.0.0.1:${ports.dashboardGrpc}`,
    LOG_LEVEL: 'warn',
    ...(databases.dialect === 'postgres' ? { DASHBOARD_DATABASE_URL: databases.location.dashboard, PRODUCT_DATABASE_URL: databases.location.product } : {}),
  };
}

function measureCodegen(dir: string): BenchResult['codegen'] {
  const started = performance.now();
  const run = spawnSync(process.execPath, [CLI, 'codegen', '--out', path.join(dir, 'stubs')], { encoding: 'utf8', timeout: 60_000 });
  const wallMs = Math.round(performance.now() - started);
  if (run.status !== 0) throw new Error(`mgrpc codegen failed: ${run.stderr || run.stdout}`);
  const reported = /in (\d+) ms/.exec(run.stdout);
  return { wallMs, reportedMs: reported ? Number(reported[1]) : null };
}

interface Phase {
  path: LoadKind;
  impl: Impl;
  concurrency: number;
}

const LABEL: Record<LoadKind, string> = { 'grpc-like': 'gRPC LikeProduct', 'rest-like': 'REST like', 'rest-create': 'REST create+sync' };

const OWN_LABEL: Record<Exclude<Impl, BoundImpl>, string> = { framework: 'framework', bare: 'bare', ...PEER_LABEL };

/** A side as the report names it (a bound's label is in its entry, bounds/sides.ts). */
const implLabel = (impl: Impl): string => boundOf(impl)?.label ?? OWN_LABEL[impl as Exclude<Impl, BoundImpl>];

export function phaseLabel(phase: Phase): string {
  return `${LABEL[phase.path]} ${implLabel(phase.impl)} c${phase.concurrency}`;
}

/** The servers a request on each path runs through (their CPU is the path's cost); a bound's are in its entry. */
const PATH_SERVERS: Record<LoadKind, Partial<Record<Impl, readonly string[]>>> = {
  'grpc-like': { framework: ['dashboard_grpc'], bare: ['bare_grpc'], nest: ['nest_grpc'], connect: ['connect_grpc'] },
  'rest-like': { framework: ['product', 'dashboard_grpc'], bare: ['bare_rest', 'bare_grpc'], nest: ['nest_rest', 'nest_grpc'] },
  'rest-create': { framework: ['dashboard', 'product_grpc'], bare: [] },
};

/** Our four servers, and the bare twin each one's cold start is held against. */
const FRAMEWORK_SERVERS = ['dashboard_grpc', 'product_grpc', 'dashboard', 'product'];
const BARE_TWIN: Record<string, string> = { dashboard_grpc: 'bare_grpc', product_grpc: 'bare_grpc', dashboard: 'bare_rest', product: 'bare_rest' };

function cpuPerRequest(phase: Phase, cpuMs: Record<string, number>, requests: number): number | null {
  const bound = boundOf(phase.impl);
  const names = (bound ? (bound.path === phase.path ? bound.servers : undefined) : PATH_SERVERS[phase.path][phase.impl]) ?? [];
  if (requests === 0 || names.length === 0 || names.some((name) => cpuMs[name] === undefined)) return null;
  return Math.round((names.reduce((sum, name) => sum + cpuMs[name], 0) / requests) * 1000) / 1000;
}

/** Starts of each server its cold start is the median of (see runBench; one with --quick). */
const COLD_STARTS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/**
 * Slices each member of an interleaved group is measured in (see slices.ts). Ten: this
 * machine's speed moves within seconds (one server's slices of a run differed by a third),
 * and more, shorter slices spread each side over more of those moves. Each side's load
 * process stays warm between its slices (load.ts), so a slice after its first needs only
 * REWARM_MS of unmeasured load. --quick, which only proves the harness, takes two.
 */
const SLICES_EACH = 10;
const QUICK_SLICES_EACH = 2;

/** Unmeasured load before each slice after a side's first (its first has the full warm-up). */
const REWARM_MS = 250;

/** Each framework phase with its bare twin and peers (measured interleaved), or alone when it has none. */
function pairUp(phases: Phase[]): Phase[][] {
  const groups: Phase[][] = [];
  for (const phase of phases) {
    const twin = groups.find((group) => group[0].path === phase.path && group[0].concurrency === phase.concurrency);
    if (twin) twin.push(phase);
    else groups.push([phase]);
  }
  return groups;
}

function planPhases(concurrency: number[], paths: readonly LoadKind[] = LOAD_KINDS, peers = false): Phase[] {
  const phases: Phase[] = [];
  for (const kind of ['grpc-like', 'rest-like'] as const) {
    if (!paths.includes(kind)) continue;
    // Every peer serves LikeProduct; the REST like only those with an HTTP app (REST_PEERS).
    const impls: Impl[] = ['framework', 'bare', ...boundsOf(kind), ...(peers ? (kind === 'grpc-like' ? PEERS : REST_PEERS) : [])];
    for (const c of concurrency) for (const impl of impls) phases.push({ path: kind, impl, concurrency: c });
  }
  if (paths.includes('rest-create')) for (const c of concurrency) phases.push({ path: 'rest-create', impl: 'framework', concurrency: c });
  return phases;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const began = performance.now();
  const progress = options.progress ?? { update: () => undefined, line: () => undefined };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mgrpc-bench-'));
  const servers: ServerProcess[] = [];
  const dbs: Db[] = [];
  let databases: BenchDatabases | undefined;
  // Ctrl-C or a kill: the servers stop by themselves (their stdin pipe ends), but the
  // PostgreSQL databases would stay; drop them first, best effort.
  const onSignal = (signal: NodeJS.Signals) => {
    void Promise.allSettled(dbs.map((db) => db.close()))
      .then(() => databases?.drop())
      .catch(() => undefined)
      .finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    databases = await createBenchDatabases(options.database ?? { dialect: 'sqlite' }, dir);
    const { location } = databases;
    progress.update(0, 'codegen');
    const codegen = measureCodegen(dir);
    // Installed and built before any server starts, so neither disturbs a cold start.
    const peers = options.peers ? PEERS : [];
    const peerMains = new Map<Peer, string>();
    for (const peer of peers) {
      progress.update(0, `preparing the ${PEER_LABEL[peer]} peer`);
      peerMains.set(peer, await preparePeer(peer, progress.line));
    }

    const ports = { dashboard: await freePort(), dashboardGrpc: await freePort(), product: await freePort(), productGrpc: await freePort() };
    const env = serverEnv(dir, ports, databases);
    const migrated = spawnSync(process.execPath, [CLI, 'migrate'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    if (migrated.status !== 0) throw new Error(`mgrpc migrate failed: ${migrated.stderr}`);

    // One at a time, so each cold start is timed on an otherwise idle machine.
    const profile = (name: string) => (options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
    const specs = [
      { name: 'dashboard_grpc', args: ['grpcrunserver', `127.0.0.1:${ports.dashboardGrpc}`, '--service', 'dashboard'], port: ports.dashboardGrpc, kind: 'grpc' as const },
      { name: 'product_grpc', args: ['grpcrunserver', `127.0.0.1:${ports.productGrpc}`, '--service', 'product'], port: ports.productGrpc, kind: 'grpc' as const },
      { name: 'dashboard', args: ['runserver', `127.0.0.1:${ports.dashboard}`, '--service', 'dashboard'], port: ports.dashboard, kind: 'rest' as const },
      { name: 'product', args: ['runserver', `127.0.0.1:${ports.product}`, '--service', 'product'], port: ports.product, kind: 'rest' as const },
    ];
    const firstStartMs: Record<string, number> = {};
    const startSamples: Record<string, number[]> = {};
    const sample = (server: { name: string; coldStartMs: number }) => (startSamples[server.name] ??= []).push(server.coldStartMs);
    // The framework servers' env has no MGRPC_* from the caller (serverEnv), so their pools
    // have the default size; the bare baselines' pg pools get that same default.
    const bareEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete bareEnv.MGRPC_DB_POOL_MAX;
    const bareDashboardFile = location.bare_dashboard;
    const bareProductFile = location.bare_product;
    const startBareGrpc = (nodeArgs: string[] = []) => startBareServer('bare_grpc', path.join(BENCH_DIST, 'bare/grpc-like-server.js'), 'grpc', { ...bareEnv, BENCH_DB: bareDashboardFile }, nodeArgs);
    const startBareRest = (dashboardGrpc: string, nodeArgs: string[] = []) =>
      startBareServer('bare_rest', path.join(BENCH_DIST, 'bare/rest-like-pipeline.js'), 'rest', { ...bareEnv, BENCH_DB: bareProductFile, BENCH_DASHBOARD_GRPC: dashboardGrpc }, nodeArgs);

    // Cold starts. First each server's first start after a build: it compiles everything and
    // saves V8's code when it stops (cli/serve/bundle.ts). Then every server, ours and the bare
    // twins in turn, is started and stopped COLD_STARTS - 1 times, and once more to stay up for
    // the load: its cold start is the median of those starts (one start on a shared machine
    // is as much noise as measurement).
    clearCodeCaches();
    for (const spec of specs) {
      progress.update(0, `first start of ${spec.name}`);
      const first = await startFrameworkServer({ ...spec, env: { ...env } });
      firstStartMs[spec.name] = first.coldStartMs;
      await first.stop();
    }
    // --quick proves the harness: one start each after the first.
    const coldStarts = options.quick ? 1 : COLD_STARTS;
    for (let round = 1; round < coldStarts; round++) {
      for (const spec of specs) {
        progress.update(0, `cold start ${round} of ${spec.name}`);
        const server = await startFrameworkServer({ ...spec, env: { ...env } });
        sample(server);
        await server.stop();
      }
      progress.update(0, `cold start ${round} of the bare servers`);
      for (const start of [() => startBareGrpc(), () => startBareRest('127.0.0.1:1')]) {
        const server = await start();
        sample(server);
        await server.stop();
      }
    }
    for (const spec of specs) {
      progress.update(0, `starting ${spec.name}`);
      const server = await startFrameworkServer({ ...spec, env: { ...env }, nodeArgs: profile(spec.name) });
      servers.push(server);
      sample(server);
    }
    const bareGrpc = await startBareGrpc(profile('bare_grpc'));
    servers.push(bareGrpc);
    sample(bareGrpc);
    const bareRest = await startBareRest(`127.0.0.1:${bareGrpc.port}`, profile('bare_rest'));
    servers.push(bareRest);
    sample(bareRest);
    // The sides that bound the targets of the paths being run; no cold start of theirs is reported.
    const paths = options.paths ?? LOAD_KINDS;
    const boundPorts: Partial<Record<BoundImpl, number>> = {};
    for (const impl of (Object.keys(BOUNDS) as BoundImpl[]).filter((impl) => paths.includes(BOUNDS[impl].path))) {
      const side = BOUNDS[impl];
      progress.update(0, `starting ${side.server}`);
      const sideEnv: NodeJS.ProcessEnv = {
        ...(side.asOurServers ? serverProcessEnv(bareEnv) : bareEnv),
        ...(side.db ? { BENCH_DB: location[side.db] } : {}),
        ...(side.callsBareGrpc ? { BENCH_DASHBOARD_GRPC: `127.0.0.1:${bareGrpc.port}` } : {}),
      };
      const nodeArgs = [...(side.asOurServers ? serverNodeFlags(bareEnv, side.protocol) : []), ...profile(side.server)];
      const server = await startBareServer(side.server, path.join(BENCH_DIST, side.script), side.protocol, sideEnv, nodeArgs);
      servers.push(server);
      boundPorts[impl] = server.port;
    }
    const coldStartMs: Record<string, number> = Object.fromEntries(Object.entries(startSamples).map(([name, ms]) => [name, median(ms)]));
    // The peers share the bare dashboard's database (each phase likes its own product, and
    // phases never overlap); every peer reads the proto and opens its database through the bare
    // baselines' own code (bare/open.ts).
    const peerPorts = new Map<Peer, number>();
    const peerEnv: NodeJS.ProcessEnv = { ...bareEnv, BENCH_PROTO_DIR: PROTO_DIR, BENCH_BARE_OPEN: path.join(BENCH_DIST, 'bare/open.js') };
    for (const peer of peers) {
      const name = `${peer}_grpc`;
      progress.update(0, `starting ${name}`);
      const port = await freePort();
      const server = await startBareServer(name, peerMains.get(peer)!, 'grpc', { ...peerEnv, BENCH_DB: bareDashboardFile, BENCH_PORT: String(port) }, profile(name));
      servers.push(server);
      peerPorts.set(peer, port);
      coldStartMs[name] = server.coldStartMs;
    }
    // A REST peer's HTTP app writes its like rows into the bare product database, as the bare
    // pipeline does, and calls its own gRPC peer: the pipeline on that framework at both ends.
    /** The port of the server that answers a side's REST like, other than ours. */
    const restLikePorts: Partial<Record<Impl, number>> = { bare: bareRest.port, ...boundPorts };
    if (paths.includes('rest-like')) {
      for (const peer of peers.filter((p) => REST_PEERS.includes(p))) {
        const name = `${peer}_rest`;
        progress.update(0, `starting ${name}`);
        const port = await freePort();
        const server = await startBareServer(
          name,
          peerRestMain(peer),
          'rest',
          { ...peerEnv, BENCH_DB: bareProductFile, BENCH_PORT: String(port), BENCH_DASHBOARD_GRPC: `127.0.0.1:${peerPorts.get(peer)}` },
          profile(name),
        );
        servers.push(server);
        restLikePorts[peer] = port;
        coldStartMs[name] = server.coldStartMs;
      }
    }
    progress.line(`cold start: ${Object.entries(coldStartMs).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}; codegen ${codegen.wallMs} ms`);

    const dashboardUrl = `http://127.0.0.1:${ports.dashboard}`;
    const productUrl = `http://127.0.0.1:${ports.product}`;
    // The checks read the databases directly: node-sqlite3 on the files, or a small pg pool.
    const pgCheck = databases.dialect === 'postgres';
    const dashboardDb = pgCheck ? await openPgDb(location.dashboard, 2) : await openDb(location.dashboard);
    dbs.push(dashboardDb);
    const productDb = pgCheck ? await openPgDb(location.product, 2) : await openDb(location.product);
    dbs.push(productDb);
    const bareDashboardDb = pgCheck ? await openPgDb(bareDashboardFile, 2) : await openBareDbAt(bareDashboardFile);
    dbs.push(bareDashboardDb);
    const bareProductDb = pgCheck ? await openPgDb(bareProductFile, 2) : await openBareDbAt(bareProductFile);
    dbs.push(bareProductDb);
    // Every bare database, by location: a bound with one of its own (the one-trip bound's) gets its products and its check there.
    const bareDbs = new Map<string, Db>([
      [location.bare_dashboard, bareDashboardDb],
      [location.bare_product, bareProductDb],
    ]);
    for (const impl of Object.keys(boundPorts) as BoundImpl[]) {
      const where = BOUNDS[impl].db && location[BOUNDS[impl].db!];
      if (!where || bareDbs.has(where)) continue;
      const db = pgCheck ? await openPgDb(where, 2) : await openBareDbAt(where);
      dbs.push(db);
      bareDbs.set(where, db);
    }
    /** Where a side other than ours that counts likes in rows keeps them: its own database, else the bare dashboard's (the peers'). */
    const likesDbOf = (impl: Impl): Db => {
      const own = boundOf(impl)?.db;
      return own ? bareDbs.get(location[own])! : bareDashboardDb;
    };
    await createBenchUsers(dashboardDb, new Date().toISOString());
    // The exactly-once twin's dashboard checks its users, as ours does.
    if (paths.includes('rest-like')) await createBenchUsers(bareDashboardDb, new Date().toISOString());

    const count = async (db: Db, sql: string, params: unknown[] = []) => Number((await db.all<{ n: number }>(sql, params))[0]?.n ?? 0);
    const outboxSettled = async (db: Db, what: string): Promise<Check | undefined> => {
      await until(`${what}'s outbox to empty`, 30_000, async () => ((await count(db, "SELECT count(*) AS n FROM mgrpc_outbox WHERE state = 'pending'")) === 0 ? true : undefined));
      const failed = await count(db, "SELECT count(*) AS n FROM mgrpc_outbox WHERE state = 'failed'");
      return failed > 0 ? { ok: false, message: `${what}'s outbox holds ${failed} failed entries` } : undefined;
    };

    /** A product to like, on the framework system (created through the API, synced) or in every bare database. */
    const newProduct = async (impl: Impl): Promise<string> => {
      if (impl === 'framework') {
        const created = await httpJson('POST', `${dashboardUrl}/api/products`, { title: 'bench like target' });
        if (created.status !== 201) throw new Error(`creating the product to like failed: ${created.status} ${JSON.stringify(created.body)}`);
        const id = created.body.id as string;
        await until('the product service to have the product', 30_000, async () => ((await httpJson('GET', `${productUrl}/api/products/${id}`)).status === 200 ? true : undefined));
        return id;
      }
      const id = randomUUID();
      const now = new Date().toISOString();
      for (const db of bareDbs.values()) await db.all('INSERT INTO products (id, title, image, likes, created_at, updated_at) VALUES (?, ?, NULL, 0, ?, ?)', [id, 'bench like target', now, now]);
      return id;
    };

    const likesCheck = (counted: number, expected: number, rows?: number): Check => {
      if (counted === expected && (rows === undefined || rows === expected)) return { ok: true, message: `${counted} likes counted = ${expected} acknowledged` };
      const lost = expected - counted;
      const detail = lost > 0 ? `${lost} like(s) lost` : `${-lost} like(s) counted twice or never acknowledged`;
      return { ok: false, message: `${counted} likes counted, ${expected} acknowledged: ${detail}${rows === undefined ? '' : `; ${rows} like rows on the product service`}` };
    };

    /** The port of the server that answers a side's LikeProduct. */
    const grpcPorts: Partial<Record<Impl, number>> = {
      framework: ports.dashboardGrpc,
      bare: bareGrpc.port,
      ...boundPorts,
      ...Object.fromEntries(peerPorts),
    };
    /** Where a phase's load goes. */
    const targetOf = (phase: Phase, productId: string | undefined): string => {
      if (phase.path === 'grpc-like') return `127.0.0.1:${grpcPorts[phase.impl]}`;
      if (phase.path === 'rest-create') return `${dashboardUrl}/api/products`;
      if (phase.impl === 'framework') return `${productUrl}/api/products/${productId}/like`;
      const port = restLikePorts[phase.impl];
      if (port === undefined) throw new Error(`no server answers the REST like for ${implLabel(phase.impl)}`);
      return `http://127.0.0.1:${port}/like/${productId}`;
    };

    /** One more like on a server that counts in memory: the count it answers. */
    const likeInMemory = (port: number, id: string) => {
      const client = new (productServiceClient())(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      return new Promise<number>((resolve, reject) =>
        client.LikeProduct({ id }, (err: grpc.ServiceError | null, answer?: { product?: { likes: string } }) => (err ? reject(err) : resolve(Number(answer?.product?.likes)))),
      ).finally(() => client.close());
    };

    /** The dashboard's change log against a product's count (checkPhase). */
    const likesLogged = async (productId: string, counted: number): Promise<Check> => {
      const [last] = await dashboardDb.all<{ data: string }>("SELECT data FROM mgrpc_changes WHERE key = ? AND kind = 'updated' ORDER BY seq DESC LIMIT 1", [productId]);
      const rows = await count(dashboardDb, "SELECT count(*) AS n FROM mgrpc_changes WHERE key = ? AND kind = 'updated'", [productId]);
      const loggedCount = last ? Number((JSON.parse(last.data) as { likes?: unknown }).likes) : 0;
      if (loggedCount === counted && rows <= counted) return { ok: true, message: `${counted} likes counted, the change log's last at ${loggedCount}` };
      return { ok: false, message: `${counted} likes counted, but the change log's last row says ${loggedCount} and it holds ${rows} like rows` };
    };

    /** What the servers hold after a phase against what its load was told: likes counted once each, products all synced. */
    const checkPhase = async (phase: Phase, load: LoadResult, productId: string | undefined, productsBefore: number, loadEnded: number): Promise<{ check: Check; syncLagMs?: number }> => {
      let check: Check;
      let syncLagMs: number | undefined;
      if (phase.path === 'rest-create') {
        const expected = productsBefore + load.acknowledged;
        const onDashboard = await count(dashboardDb, 'SELECT count(*) AS n FROM products');
        check = (await outboxSettled(dashboardDb, 'the dashboard')) ?? { ok: true, message: '' };
        if (check.ok) {
          await until('the product service to have every product', 30_000, async () => ((await count(productDb, 'SELECT count(*) AS n FROM products')) >= onDashboard ? true : undefined));
          syncLagMs = Math.round(performance.now() - loadEnded);
          const onProduct = await count(productDb, 'SELECT count(*) AS n FROM products');
          check =
            onDashboard === expected && onProduct === expected
              ? { ok: true, message: `${load.acknowledged} products created, all on the product service ${syncLagMs} ms after the last` }
              : { ok: false, message: `${load.acknowledged} creates acknowledged, but the dashboard holds ${onDashboard - productsBefore} and the product service ${onProduct - productsBefore} new products` };
        }
      } else if (phase.impl !== 'framework') {
        const likes = boundOf(phase.impl)?.likes ?? 'rows';
        if (likes === 'memory') {
          // One more like answers the count, which must be one more than acknowledged.
          check = likesCheck((await likeInMemory(grpcPorts[phase.impl]!, productId!)) - 1, load.acknowledged);
        } else if (likes === 'outbox') {
          // 202s stay in its outbox until its relay delivers them: all must end counted, exactly once.
          await until(`the ${implLabel(phase.impl)} twin's outbox to empty`, 30_000, async () => ((await count(bareProductDb, 'SELECT count(*) AS n FROM bare_outbox')) === 0 ? true : undefined));
          const counted = await count(bareDashboardDb, 'SELECT likes AS n FROM products WHERE id = ?', [productId]);
          const rows = await count(bareProductDb, 'SELECT count(*) AS n FROM product_users WHERE product_id = ?', [productId]);
          check = likesCheck(counted, load.acknowledged + load.pending, rows);
        } else {
          const likesDb = likesDbOf(phase.impl);
          const counted = await count(likesDb, 'SELECT likes AS n FROM products WHERE id = ?', [productId]);
          const rows = phase.path === 'rest-like' ? await count(bareProductDb, 'SELECT count(*) AS n FROM product_users WHERE product_id = ?', [productId]) : undefined;
          check = likesCheck(counted, load.acknowledged, rows);
          const changes = likes === 'rows+log' ? await count(likesDb, 'SELECT count(*) AS n FROM bare_changes WHERE key = ?', [productId]) : counted;
          if (check.ok && changes !== counted) check = { ok: false, message: `${counted} likes counted but ${changes} change-log rows written` };
        }
      } else {
        // 202s were recorded and are delivered later: they must be counted too, exactly once.
        const expected = load.acknowledged + load.pending;
        const settled = phase.path === 'rest-like' ? await outboxSettled(productDb, 'the product service') : undefined;
        const product = await httpJson('GET', `${dashboardUrl}/api/products/${productId}`);
        const rows = phase.path === 'rest-like' ? await count(productDb, 'SELECT count(*) AS n FROM product_users WHERE product_id = ?', [productId]) : undefined;
        check = settled ?? likesCheck(Number(product.body?.likes), expected, rows);
        // Every like is a change watchers see: the log's last row for the product has the count,
        // and it holds no more like rows than likes (fewer only where pruning cut the oldest).
        if (check.ok) check = await likesLogged(productId!, Number(product.body?.likes));
      }
      return { check, syncLagMs };
    };

    const phases = planPhases(options.concurrency, options.paths, options.peers);
    const timeoutMs = options.timeoutMs ?? 10_000;
    // A framework phase and its bare twin are measured in interleaved slices (slices.ts).
    const groups = pairUp(phases);
    const slicesEach = options.quick ? QUICK_SLICES_EACH : SLICES_EACH;
    const slicesOf = (group: Phase[]) => (group.length > 1 ? slicesEach * group.length : 1);
    // Each of the group is measured for durationMs in all, in slicesEach slices.
    const sliceMs = (group: Phase[]) => (options.durationMs * group.length) / slicesOf(group);
    const rewarmMs = Math.min(options.warmupMs, REWARM_MS);
    // Each member's first slice has the full warm-up, its later ones the re-warm.
    const groupMs = (group: Phase[]) => group.length * options.warmupMs + (slicesOf(group) - group.length) * rewarmMs + slicesOf(group) * sliceMs(group);
    const totalMs = groups.reduce((sum, group) => sum + groupMs(group), 0);
    let doneMs = 0;
    const results: PhaseResult[] = [];
    for (const group of groups) {
      const setups = [];
      for (const phase of group) {
        const productId = phase.path === 'rest-create' ? undefined : await newProduct(phase.impl);
        const productsBefore = phase.path === 'rest-create' ? await count(dashboardDb, 'SELECT count(*) AS n FROM products') : 0;
        setups.push({ phase, productId, target: targetOf(phase, productId), productsBefore, loads: [] as LoadResult[], rssMb: {} as Record<string, number>, cpuMs: {} as Record<string, number> });
      }
      // When the group's last slice ended (rest-create's sync lag is timed from it).
      let loadEnded = 0;
      // One warm load process per member, for all its slices.
      const loaders = setups.map((setup) =>
        startLoadProcess({ kind: setup.phase.path, target: setup.target, productId: setup.productId, concurrency: setup.phase.concurrency, warmupMs: options.warmupMs, durationMs: sliceMs(group), timeoutMs }),
      );
      try {
        for (const which of interleavedOrder(group.length, slicesOf(group))) {
          const setup = setups[which];
          const label = phaseLabel(setup.phase);
          const offset = doneMs;
          const warmupMs = setup.loads.length === 0 ? options.warmupMs : rewarmMs;
          const report = (elapsedMs: number) => progress.update((offset + elapsedMs) / totalMs, label, totalMs - offset - elapsedMs);
          report(0);
          const sample = () => {
            for (const server of servers) setup.rssMb[server.name] = Math.max(setup.rssMb[server.name] ?? 0, memoryOf(server.child.pid!)?.rssMb ?? 0);
          };
          const sampler = setInterval(sample, 200);
          const cpuBefore = new Map(servers.map((server) => [server.name, cpuMsOf(server.child.pid!)]));
          try {
            setup.loads.push(await loaders[which].run(warmupMs, sliceMs(group), report));
          } finally {
            clearInterval(sampler);
            sample();
          }
          loadEnded = performance.now();
          for (const server of servers) {
            const before = cpuBefore.get(server.name);
            const after = cpuMsOf(server.child.pid!);
            if (before !== undefined && after !== undefined) setup.cpuMs[server.name] = (setup.cpuMs[server.name] ?? 0) + after - before;
          }
          doneMs += warmupMs + sliceMs(group);
        }
      } finally {
        await Promise.all(loaders.map((loader) => loader.stop()));
      }

      for (const { phase, productId, productsBefore, loads, rssMb, cpuMs } of setups) {
        const { samples: _samples, ...load } = mergeSlices(loads);
        const label = phaseLabel(phase);
        const cpuMsPerRequest = cpuPerRequest(phase, cpuMs, load.acknowledged + load.totalErrors);
        const { check, syncLagMs } = await checkPhase(phase, load, productId, productsBefore, loadEnded);
        const sliceThroughputs = loads.map((slice) => slice.throughput);
        const result: PhaseResult = { ...phase, ...load, sliceThroughputs, rssMb, cpuMs, cpuMsPerRequest, check, ...(syncLagMs === undefined ? {} : { syncLagMs }) };
        results.push(result);
        const errors = load.errorCount > 0 ? `, ${load.errorCount} errors (${Object.entries(load.errors).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
        progress.line(
          `${label}: ${load.throughput} req/s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms${errors}${check.ok ? '' : ` — CHECK FAILED: ${check.message}`}`,
        );
      }
    }

    for (const server of servers) await server.stop();
    const peakRssMb = Object.fromEntries(servers.map((server) => [server.name, server.peakRssMb()]));
    return summarizeResult({ options, database: redactedChoice(options.database), codegen, coldStartMs, firstStartMs, peakRssMb, phases: results, totalMs: Math.round(performance.now() - began) });
  } finally {
    await Promise.allSettled(dbs.map((db) => db.close()));
    await Promise.allSettled(servers.map((server) => server.stop()));
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    try {
      await databases?.drop();
    } catch (err) {
      progress.line(`could not drop the bench's PostgreSQL databases: ${(err as Error).message}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function summarizeResult(parts: {
  options: BenchOptions;
  database: BenchResult['database'];
  codegen: BenchResult['codegen'];
  coldStartMs: Record<string, number>;
  firstStartMs: Record<string, number>;
  peakRssMb: Record<string, number>;
  phases: PhaseResult[];
  totalMs: number;
}): BenchResult {
  const { options, codegen, coldStartMs, peakRssMb, phases } = parts;
  const dialect = parts.database.dialect;
  const ratios: BenchResult['ratios'] = [];
  for (const phase of phases) {
    if (phase.impl === 'bare') continue;
    const bare = phases.find((p) => p.impl === 'bare' && p.path === phase.path && p.concurrency === phase.concurrency);
    if (!bare) continue;
    const ratio = bare.throughput > 0 ? Math.round((phase.throughput / bare.throughput) * 1000) / 1000 : 0;
    const sliceRange = sliceRatioRange(phase.sliceThroughputs, bare.sliceThroughputs);
    const interval = ratioInterval(phase.sliceThroughputs, bare.sliceThroughputs);
    ratios.push({ path: phase.path, concurrency: phase.concurrency, impl: phase.impl, throughput: phase.throughput, bare: bare.throughput, ratio, ...(sliceRange ? { sliceRange } : {}), ...(interval ? { interval } : {}) });
  }
  const times = (ratio: number) => `${ratio.toFixed(2)}x`;
  const targets: Target[] = [];
  const boundSides = (r: (typeof ratios)[number], impls: BoundImpl[], wanted: number): Pick<Target, 'bounds' | 'outOfReach'> => {
    const sides = impls.flatMap((impl) => {
      const side = ratios.find((o) => o.impl === impl && o.path === r.path && o.concurrency === r.concurrency);
      return side ? [{ impl, kind: boundKind(impl, dialect), ratio: side.ratio, reachable: side.ratio >= wanted, beatenByOurs: r.ratio > side.ratio }] : [];
    });
    return {
      bounds: sides.map(({ impl, kind, ratio, reachable }) => ({ label: BOUNDS[impl].label, kind, ratio, unit: 'x' as const, reachable })),
      outOfReach: outOfReach(r.ratio >= wanted, sides),
    };
  };
  const spreadOf = (r: (typeof ratios)[number]): Pick<Target, 'sliceRange' | 'interval'> => ({ ...(r.sliceRange ? { sliceRange: r.sliceRange } : {}), ...(r.interval ? { interval: r.interval } : {}) });
  // Ours may beat the bare server only by doing less work per request (coalescing, batching).
  for (const r of ratios) {
    if (r.impl !== 'framework') continue;
    if (r.path === 'grpc-like' && r.concurrency >= 16)
      targets.push({ name: `LikeProduct c${r.concurrency} framework/bare`, target: '>= 1.20x', actual: times(r.ratio), met: r.ratio >= 1.2, ...spreadOf(r), ...boundSides(r, boundsOf('grpc-like'), 1.2) });
    if (r.path === 'rest-like')
      targets.push({ name: `REST like c${r.concurrency} framework/bare`, target: '>= 0.90x', actual: times(r.ratio), met: r.ratio >= 0.9, ...spreadOf(r), ...boundSides(r, boundsOf('rest-like'), 0.9) });
  }
  const restLike16 = phases.find((p) => p.path === 'rest-like' && p.impl === 'framework' && p.concurrency === 16);
  const once16 = phases.find((p) => p.path === 'rest-like' && p.impl === 'once' && p.concurrency === 16);
  if (restLike16) {
    const met = restLike16.latencyMs.p99 < 25;
    const once = once16 && { impl: 'once' as const, kind: boundKind('once', dialect), p99: once16.latencyMs.p99, reachable: once16.latencyMs.p99 < 25, beatenByOurs: restLike16.latencyMs.p99 < once16.latencyMs.p99 };
    targets.push({
      name: 'REST like c16 p99',
      target: '< 25 ms',
      actual: `${restLike16.latencyMs.p99} ms`,
      met,
      ...(once
        ? { bounds: [{ label: `${BOUNDS.once.label} p99`, kind: once.kind, ratio: once.p99, unit: 'ms', reachable: once.reachable }], outOfReach: outOfReach(met, [once]) }
        : {}),
    });
  }
  for (const name of FRAMEWORK_SERVERS) {
    const mb = peakRssMb[name];
    if (mb !== undefined) targets.push({ name: `${name} peak RSS`, target: '< 150 MB', actual: `${mb} MB`, met: mb < 150 });
  }
  for (const name of FRAMEWORK_SERVERS) {
    const ms = coldStartMs[name];
    const twin = coldStartMs[BARE_TWIN[name]];
    if (ms === undefined || twin === undefined) continue;
    const limit = Math.round(twin * 1.5);
    targets.push({ name: `${name} cold start`, target: `<= ${limit} ms (1.5x ${BARE_TWIN[name]}'s ${twin} ms)`, actual: `${ms} ms (${times(ms / twin)})`, met: ms <= limit });
  }
  targets.push({ name: 'codegen', target: '< 2000 ms', actual: `${codegen.wallMs} ms`, met: codegen.wallMs < 2000 });
  const failures = phases.filter((p) => !p.check.ok).map((p) => `${phaseLabel(p)}: ${p.check.message}`);
  const errored = phases.filter((p) => p.totalErrors > 0).map((p) => `${phaseLabel(p)}: ${p.totalErrors} failed requests (${Object.entries(p.errors).map(([k, v]) => `${k} ${v}`).join(', ') || 'during warm-up'})`);
  targets.push({ name: 'errors and lost likes', target: '0', actual: failures.length + errored.length === 0 ? '0' : `${failures.length} failed checks, ${errored.length} phases with errors`, met: failures.length + errored.length === 0 });
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    command: options.command ?? 'mgrpc bench',
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${os.release()}` },
    settings: { durationMs: options.durationMs, warmupMs: options.warmupMs, concurrency: options.concurrency, quick: options.quick, peers: Boolean(options.peers) },
    database: parts.database,
    codegen,
    coldStartMs,
    firstStartMs: parts.firstStartMs,
    peakRssMb,
    phases,
    ratios,
    targets,
    correctness: { ok: failures.length === 0, failures },
    errors: errored,
    ok: failures.length === 0 && errored.length === 0,
    totalMs: parts.totalMs,
  };
}
