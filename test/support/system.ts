/**
 * Starts the real system for tests: the four server processes of the tutorial (built CLI,
 * `node dist/bin/mgrpc.js`), on free loopback ports, with SQLite files in a temp data dir,
 * or (`database: 'postgres'`) two fresh PostgreSQL databases, dropped by close().
 * With `replicas: N` (N > 1) each of the 4 processes runs N times on ports of its own, named
 * `dashboard_1` … `product_grpc_N` as under `mgrpc up --replicas`, and each service reaches its
 * peer's gRPC replicas through an `ipv4:` address list, which the clients round-robin.
 * Run `npm run build` first (npm test does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import nodeHttp from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createTestDatabase, type TestDatabase } from './postgres.js';
import { pool } from './eventually.js';
import { freePort, waitForPort } from './ports.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist/bin/mgrpc.js');
/** How long a stopped process may take to exit before it is killed. */
const STOP_GRACE_MS = 15_000;

/** The four kinds of process; with one replica each, also their names. */
export type ProcessKind = 'dashboard' | 'dashboard_grpc' | 'product' | 'product_grpc';
/** A process: its kind alone with one replica, `<kind>_<1-based replica>` with several. */
export type ProcessName = ProcessKind | `${ProcessKind}_${number}`;

const KINDS: readonly ProcessKind[] = ['dashboard', 'dashboard_grpc', 'product', 'product_grpc'];

export interface RunningSystem {
  dataDir: string;
  ports: Record<ProcessName, number>;
  /** http://127.0.0.1:PORT of the two REST servers. */
  dashboardUrl: string;
  productUrl: string;
  /** The gRPC targets of the two gRPC services: host:port, or an ipv4: list of every replica. */
  dashboardGrpc: string;
  productGrpc: string;
  /** Every process's name, per kind, in replica order. */
  names: Record<ProcessKind, ProcessName[]>;
  /** http://127.0.0.1:PORT of every REST replica, in replica order. */
  dashboardUrls: string[];
  productUrls: string[];
  env: NodeJS.ProcessEnv;
  /** Output of each process so far (for assertions and debugging). */
  logs: Record<ProcessName, string[]>;
  /** Stops one process (SIGTERM, then SIGKILL after STOP_GRACE_MS) and resolves with its exit code. */
  stop(name: ProcessName): Promise<number | null>;
  /** Kills one process with SIGKILL (no drain, no cleanup) and waits until it is gone. */
  kill(name: ProcessName): Promise<void>;
  /** Starts a stopped process again on the same port. */
  start(name: ProcessName): Promise<void>;
  /** Freezes a process (SIGSTOP): its sockets stay open, nothing it receives is answered. */
  pause(name: ProcessName): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(name: ProcessName): void;
  /** The process id of a running process (undefined when it is not running). */
  pid(name: ProcessName): number | undefined;
  /** Stops everything and deletes the data directory. */
  close(): Promise<void>;
}

/** Runs the CLI to completion: `mgrpc <args>`, returns exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    input,
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface SystemOptions {
  env?: NodeJS.ProcessEnv;
  database?: 'sqlite' | 'postgres';
  /** Processes of each kind (default 1). Several replicas need a database they can share. */
  replicas?: number;
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`replicas must be a whole number >= 1, not ${replicas}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-test-'));
  const databases: TestDatabase[] = [];
  const dropDatabases = () => Promise.all(databases.map((db) => db.drop()));
  const databaseEnv: NodeJS.ProcessEnv = {};
  if (options.database === 'postgres') {
    try {
      for (const name of ['DASHBOARD', 'PRODUCT']) {
        const db = await createTestDatabase();
        databases.push(db);
        databaseEnv[`${name}_DATABASE_URL`] = db.url;
      }
    } catch (err) {
      await dropDatabases();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  const names = Object.fromEntries(
    KINDS.map((kind) => [kind, Array.from({ length: replicas }, (_, r): ProcessName => (replicas === 1 ? kind : `${kind}_${r + 1}`))]),
  ) as Record<ProcessKind, ProcessName[]>;
  const kindOf = new Map<ProcessName, ProcessKind>(KINDS.flatMap((kind) => names[kind].map((name) => [name, kind] as const)));
  const ports = {} as Record<ProcessName, number>;
  for (const name of kindOf.keys()) ports[name] = await freePort();
  const portsOf = (kind: ProcessKind) => names[kind].map((name) => ports[name]);
  // One replica: host:port, as before; several: an address list the clients round-robin.
  const grpcTarget = (kind: ProcessKind) =>
    replicas === 1 ? `127.0.0.1:${ports[names[kind][0]!]}` : `ipv4:${portsOf(kind).map((port) => `127.0.0.1:${port}`).join(',')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MGRPC_DATA_DIR: dataDir,
    PRODUCT_GRPC_SERVER: grpcTarget('product_grpc'),
    DASHBOARD_GRPC_SERVER: grpcTarget('dashboard_grpc'),
    LOG_LEVEL: 'info',
    // The default metrics port (gRPC port + 1000) could be another test's free port.
    MGRPC_METRICS_PORT: 'off',
    ...databaseEnv,
    ...options.env,
  };
  const migrated = runCli(['migrate'], env);
  if (migrated.code !== 0) {
    await dropDatabases();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`mgrpc migrate failed: ${migrated.stderr}`);
  }

  const command = (name: ProcessName): string[] => {
    const kind = kindOf.get(name);
    if (!kind) throw new Error(`no process named '${name}' (have ${[...kindOf.keys()].join(', ')})`);
    const [service, side] = kind.split('_') as [string, string | undefined];
    return [side === 'grpc' ? 'grpcrunserver' : 'runserver', `127.0.0.1:${ports[name]}`, '--service', service];
  };
  const children = new Map<ProcessName, ChildProcess>();
  const paused = new Set<ProcessName>();
  const logs = Object.fromEntries([...kindOf.keys()].map((name) => [name, [] as string[]])) as Record<ProcessName, string[]>;

  async function start(name: ProcessName): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...command(name)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => logs[name].push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => logs[name].push(d.toString()));
    children.set(name, child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${logs[name].join('')}`))),
    );
    exited.catch(() => undefined);
    // Until it listens or exits: a loaded machine makes a start slower, not a failure (the
    // test's own timeout still bounds it).
    await Promise.race([waitForPort(ports[name], '127.0.0.1', 10 * 60_000), exited]);
  }

  async function stop(name: ProcessName): Promise<number | null> {
    const child = children.get(name);
    if (!child) return null;
    children.delete(name);
    // A frozen process would not see SIGTERM until it runs again.
    if (paused.delete(name)) child.kill('SIGCONT');
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    return new Promise((resolve) => {
      // A server's own bounds for a graceful stop are longer (MGRPC_DRAIN_MS 10 s, then its
      // drain hooks): on a machine loaded by the parallel suite, 5 s was seen cut short.
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      child.kill('SIGTERM');
    });
  }

  async function kill(name: ProcessName): Promise<void> {
    const child = children.get(name);
    if (!child) return;
    children.delete(name);
    paused.delete(name);
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  function signal(name: ProcessName, sig: 'SIGSTOP' | 'SIGCONT'): void {
    const child = children.get(name);
    if (!child) throw new Error(`${name} is not running`);
    if (sig === 'SIGSTOP') paused.add(name);
    else paused.delete(name);
    child.kill(sig);
  }

  const urls = (kind: ProcessKind) => portsOf(kind).map((port) => `http://127.0.0.1:${port}`);
  const system: RunningSystem = {
    dataDir,
    ports,
    dashboardUrl: urls('dashboard')[0]!,
    productUrl: urls('product')[0]!,
    dashboardGrpc: grpcTarget('dashboard_grpc'),
    productGrpc: grpcTarget('product_grpc'),
    names,
    dashboardUrls: urls('dashboard'),
    productUrls: urls('product'),
    env,
    logs,
    stop,
    kill,
    start,
    pause: (name) => signal(name, 'SIGSTOP'),
    resume: (name) => signal(name, 'SIGCONT'),
    pid: (name) => {
      const child = children.get(name);
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async close() {
      await Promise.all([...children.keys()].map((name) => stop(name)));
      rmSync(dataDir, { recursive: true, force: true });
      await dropDatabases();
    },
  };
  try {
    await Promise.all([...kindOf.keys()].map((name) => start(name)));
  } catch (err) {
    await system.close();
    throw err;
  }
  return system;
}

/**
 * One HTTP request + JSON for tests: returns status, parsed body (or text) and headers.
 * Each call opens its own connection (no keep-alive): tests block their event loop in
 * spawnSync for seconds at a time, and a kept-alive socket that the server closed meanwhile
 * (its keep-alive timeout) would fail the next request with "other side closed".
 */
export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const response = await new Promise<{ status: number; text: string; headers: Headers }>((resolve, reject) => {
    const request = nodeHttp.request(
      url,
      { method, agent: false, headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers, 'content-length': String(Buffer.byteLength(payload)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const received = new Headers();
          for (const [name, value] of Object.entries(res.headers)) for (const one of [value ?? []].flat()) received.append(name, one);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: received });
        });
      },
    );
    request.once('error', reject);
    request.end(payload);
  });
  const { text } = response;
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text, headers: response.headers };
}

/**
 * Creates `count` users on the dashboard (POST /api/user, 16 at a time) and returns their
 * ids: the dashboard refuses a like by a user it does not know, so tests that like as many
 * distinct users create them first.
 */
export async function createUsers(dashboardUrl: string, count: number, headers: Record<string, string> = {}): Promise<string[]> {
  return pool(count, 16, async () => {
    const res = await http('POST', `${dashboardUrl}/api/user`, undefined, headers);
    if (res.status !== 201) throw new Error(`creating a user failed: ${res.status} ${res.text}`);
    return res.body.id as string;
  });
}
