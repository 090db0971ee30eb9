/**
 * The processes under test: the four real servers (the built CLI's runserver and
 * grpcrunserver, as in production and test/support/system.ts) and the two bare baselines,
 * each its own node process on a free loopback port, timed from spawn until it answers
 * health, with its resident memory sampled from /proc while the bench runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import * as grpc from '@grpc/grpc-js';

import { serverNodeFlags, serverProcessEnv } from '../services/framework/server-process.js';
import { CLI, ROOT } from './paths.js';

// Every server gets a stdin pipe only the bench holds: when the bench dies, even SIGKILLed,
// the pipe ends and the server stops itself (cli/orphan-guard.ts for the real
// servers, the same few lines in the bare ones) instead of living on holding its port.
const ORPHAN_GUARD = path.join(ROOT, 'dist/cli/orphan-guard.js');

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  /** Milliseconds from spawn until it answered a fresh client's request (health for ours; see `ready`). */
  coldStartMs: number;
  /** The last lines it printed, for a failure's message. */
  output(): string;
  /** Largest resident set seen (VmHWM, the kernel's own peak), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * Removes the servers' V8 code caches (written next to the bundle, cli/serve/bundle.ts), so
 * the bench's first start of each server is a first start after a build.
 */
export function clearCodeCaches(dir = path.join(ROOT, 'dist/bundle')): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (name.endsWith('.v8cache')) rmSync(path.join(dir, name), { force: true });
}

/** VmRSS and VmHWM of a live process in MB (Linux /proc), or undefined elsewhere or once it is gone. */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, hwmMb: Math.round(kb('VmHWM') / 102.4) / 10 };
}

/**
 * CPU time a live process has used so far (user + system, all its threads), in ms, from
 * /proc/<pid>/stat; undefined elsewhere or once it is gone. Clock ticks are USER_HZ, which
 * Linux fixes at 100 for every userspace interface.
 */
export function cpuMsOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * 10 : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The status of GET /healthz, or undefined when nothing answered. */
function restStatus(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 500, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}

// grpc.health.v1.Health/Check for the whole server: an empty request; SERVING is field 1 = 1.
// A fresh client per attempt: a channel that saw a refused connection waits out its reconnect
// backoff (a second), which would count as start-up time.
function grpcHealth(port: number): Promise<{ code: grpc.status; serving: boolean }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const raw = (b: Buffer) => b;
  return new Promise<{ code: grpc.status; serving: boolean }>((resolve) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', raw, raw, Buffer.alloc(0), { deadline: Date.now() + 500 }, (err, response?: Buffer) =>
      resolve({ code: err ? err.code : grpc.status.OK, serving: !err && response !== undefined && response.equals(Buffer.from([0x08, 0x01])) }),
    );
  }).finally(() => client.close());
}

/**
 * Whether the server on `port` is ready, by the same probe for every side: ours must answer
 * health (SERVING, 200); a bare or peer server, which has no health, must answer the same
 * request at all (UNIMPLEMENTED, 404): either way a fresh client got an answer over a new
 * connection, which is what a cold start is timed to.
 */
function ready(port: number, kind: 'rest' | 'grpc', side: 'ours' | 'bare'): Promise<boolean> {
  if (kind === 'rest') return restStatus(port).then((status) => (side === 'ours' ? status === 200 : status !== undefined));
  return grpcHealth(port).then(({ code, serving }) =>
    side === 'ours' ? serving : code !== grpc.status.UNAVAILABLE && code !== grpc.status.DEADLINE_EXCEEDED,
  );
}

/** Probes every 10 ms until `check` holds: the time since `startedAt`, or the process's exit as an error. */
async function pollUntil(check: () => Promise<boolean>, startedAt: number, timeoutMs: number, exited: Promise<never>, failure: () => string): Promise<number> {
  const polled = (async () => {
    while (performance.now() - startedAt < timeoutMs) {
      if (await check()) return performance.now() - startedAt;
      await sleep(10);
    }
    throw new Error(failure());
  })();
  return Promise.race([polled, exited]);
}

function track(name: string, child: ChildProcess) {
  const lines: string[] = [];
  const collect = (data: Buffer) => {
    lines.push(...data.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let hwm = 0;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${lines.slice(-20).join('\n')}`)));
  });
  exited.catch(() => undefined);
  const handle: Omit<ServerProcess, 'coldStartMs'> = {
    name,
    child,
    output: () => lines.join('\n'),
    peakRssMb() {
      hwm = Math.max(hwm, memoryOf(child.pid!)?.hwmMb ?? 0);
      return hwm;
    },
    stop() {
      handle.peakRssMb();
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
  return { handle, exited, lines };
}

export interface FrameworkServerSpec {
  name: string;
  args: string[];
  port: number;
  kind: 'rest' | 'grpc';
  env: NodeJS.ProcessEnv;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** Starts `mgrpc runserver|grpcrunserver …` and resolves once it answers health (REST /healthz, gRPC grpc.health.v1). */
export async function startFrameworkServer(spec: FrameworkServerSpec, timeoutMs = 20_000): Promise<ServerProcess> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...serverNodeFlags(spec.env, spec.kind), ...(spec.nodeArgs ?? []), '--import', pathToFileURL(ORPHAN_GUARD).href, CLI, ...spec.args], {
    // As `mgrpc up` runs them (services/framework/server-process.ts).
    env: { ...serverProcessEnv(spec.env), MGRPC_SUPERVISED: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tracked = track(spec.name, child);
  try {
    const coldStartMs = await pollUntil(
      () => ready(spec.port, spec.kind, 'ours'),
      startedAt,
      timeoutMs,
      tracked.exited,
      () => `${spec.name} did not answer health within ${timeoutMs} ms:\n${tracked.lines.slice(-20).join('\n')}`,
    );
    return { ...tracked.handle, coldStartMs: Math.round(coldStartMs) };
  } catch (err) {
    await tracked.handle.stop();
    throw err;
  }
}

/**
 * Starts a bare baseline or a peer (a compiled script that prints its port) and resolves once
 * it answers a request (see `ready`): timed as ours are, to the first answer, not to the print.
 */
export async function startBareServer(name: string, script: string, kind: 'rest' | 'grpc', env: NodeJS.ProcessEnv, nodeArgs: string[] = [], timeoutMs = 20_000): Promise<ServerProcess & { port: number }> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const tracked = track(name, child);
  const printed = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${tracked.lines.join('\n')}`)), timeoutMs);
    let buffered = '';
    child.stdout!.on('data', (data: Buffer) => {
      buffered += data.toString();
      const match = /\{"port":(\d+)\}/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  try {
    const port = await Promise.race([printed, tracked.exited]);
    const coldStartMs = await pollUntil(
      () => ready(port, kind, 'bare'),
      startedAt,
      timeoutMs,
      tracked.exited,
      () => `${name} printed its port but did not answer within ${timeoutMs} ms:\n${tracked.lines.join('\n')}`,
    );
    return { ...tracked.handle, coldStartMs: Math.round(coldStartMs), port };
  } catch (err) {
    await tracked.handle.stop();
    throw err;
  }
}
