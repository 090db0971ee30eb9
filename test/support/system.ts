/**
 * Starts the real system for tests: the four server processes of the tutorial (built CLI,
 * `node dist/bin/mgrpc.js`), on free loopback ports, with SQLite files in a temp data dir,
 * or (`database: 'postgres'`) two fresh PostgreSQL databases, dropped by close().
 * Run `npm run build` first (npm test does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createTestDatabase, type TestDatabase } from '../../services/framework/testing/postgres.js';
import { freePort, waitForPort } from './ports.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist/bin/mgrpc.js');

export type ProcessName = 'dashboard' | 'dashboard_grpc' | 'product' | 'product_grpc';

export interface RunningSystem {
  dataDir: string;
  ports: Record<ProcessName, number>;
  /** http://127.0.0.1:PORT of the two REST servers. */
  dashboardUrl: string;
  productUrl: string;
  /** host:port of the two gRPC servers. */
  dashboardGrpc: string;
  productGrpc: string;
  env: NodeJS.ProcessEnv;
  /** Output of each process so far (for assertions and debugging). */
  logs: Record<ProcessName, string[]>;
  /** Stops one process (SIGTERM, then SIGKILL after 5 s) and resolves with its exit code. */
  stop(name: ProcessName): Promise<number | null>;
  /** Kills one process with SIGKILL (no drain, no cleanup) and waits until it is gone. */
  kill(name: ProcessName): Promise<void>;
  /** Starts a stopped process again on the same port. */
  start(name: ProcessName): Promise<void>;
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

export async function startSystem(options: { env?: NodeJS.ProcessEnv; database?: 'sqlite' | 'postgres' } = {}): Promise<RunningSystem> {
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
  const ports = {
    dashboard: await freePort(),
    dashboard_grpc: await freePort(),
    product: await freePort(),
    product_grpc: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MGRPC_DATA_DIR: dataDir,
    PRODUCT_GRPC_SERVER: `127.0.0.1:${ports.product_grpc}`,
    DASHBOARD_GRPC_SERVER: `127.0.0.1:${ports.dashboard_grpc}`,
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

  const commands: Record<ProcessName, string[]> = {
    dashboard: ['runserver', `127.0.0.1:${ports.dashboard}`, '--service', 'dashboard'],
    dashboard_grpc: ['grpcrunserver', `127.0.0.1:${ports.dashboard_grpc}`, '--service', 'dashboard'],
    product: ['runserver', `127.0.0.1:${ports.product}`, '--service', 'product'],
    product_grpc: ['grpcrunserver', `127.0.0.1:${ports.product_grpc}`, '--service', 'product'],
  };
  const children = new Map<ProcessName, ChildProcess>();
  const logs: Record<ProcessName, string[]> = { dashboard: [], dashboard_grpc: [], product: [], product_grpc: [] };

  async function start(name: ProcessName): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...commands[name]], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => logs[name].push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => logs[name].push(d.toString()));
    children.set(name, child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${logs[name].join('')}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(ports[name]), exited]);
  }

  async function stop(name: ProcessName): Promise<number | null> {
    const child = children.get(name);
    if (!child) return null;
    children.delete(name);
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
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
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  const system: RunningSystem = {
    dataDir,
    ports,
    dashboardUrl: `http://127.0.0.1:${ports.dashboard}`,
    productUrl: `http://127.0.0.1:${ports.product}`,
    dashboardGrpc: `127.0.0.1:${ports.dashboard_grpc}`,
    productGrpc: `127.0.0.1:${ports.product_grpc}`,
    env,
    logs,
    stop,
    kill,
    start,
    async close() {
      await Promise.all([...children.keys()].map((name) => stop(name)));
      rmSync(dataDir, { recursive: true, force: true });
      await dropDatabases();
    },
  };
  try {
    await Promise.all((Object.keys(commands) as ProcessName[]).map((name) => start(name)));
  } catch (err) {
    await system.close();
    throw err;
  }
  return system;
}

/** fetch + JSON for tests: returns status and parsed body (or text). */
export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text, headers: response.headers };
}
