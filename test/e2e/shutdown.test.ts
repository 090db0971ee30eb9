/**
 * SIGTERM on a real `mgrpc runserver` process (built CLI, loopback, SQLite in a temp dir).
 * The in-flight request is a /readyz whose peer accepts TCP but never answers, so it takes
 * the readiness timeout (~1 s): during it the process drains (new connections refused),
 * the request still gets its answer, and the process exits 0. A second SIGTERM exits at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { freePort, listensOn, waitForPort } from '../support/ports.js';
import { CLI, ROOT, runCli } from '../support/system.js';
import { waitUntil } from '../support/wait.js';

let dataDir: string;
let hungPeer: net.Server;
const sockets = new Set<net.Socket>();
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-shutdown-'));
  const migrated = runCli(['migrate', '--service', 'product'], { MGRPC_DATA_DIR: dataDir });
  if (migrated.code !== 0) throw new Error(`mgrpc migrate failed: ${migrated.stderr}`);
  hungPeer = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => hungPeer.listen(0, '127.0.0.1', () => resolve()));
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  await new Promise((resolve) => hungPeer?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the product service's REST (runserver) or gRPC side and resolves once `ready` (by default: its port accepts). */
async function startProduct(command: 'runserver' | 'grpcrunserver' = 'runserver', ready: (port: number, pid: number) => Promise<void> = (port) => waitForPort(port)) {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, command, `127.0.0.1:${port}`, '--service', 'product'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MGRPC_DATA_DIR: dataDir,
      DASHBOARD_GRPC_SERVER: `127.0.0.1:${(hungPeer.address() as net.AddressInfo).port}`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await ready(port, child.pid!);
  return { child, port, exited, output: () => output };
}

const until = (condition: () => boolean, what: string) => waitUntil(what, condition, 2000);

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a /readyz that takes ~1 s (the hung peer) and resolves when the server has it. */
async function slowRequest(port: number) {
  const connectionsBefore = sockets.size;
  let done = false;
  const response = fetch(`http://127.0.0.1:${port}/readyz`).then(async (res) => {
    done = true;
    return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
  });
  response.catch(() => (done = true));
  // The server's peer check has connected to the hung peer: the request is in flight.
  await until(() => sockets.size > connectionsBefore, 'the readiness check to reach the peer');
  return { response, done: () => done };
}

describe('mgrpc runserver on SIGTERM', () => {
  it('refuses new connections, answers the in-flight request, and exits 0', async () => {
    const server = await startProduct();
    const slow = await slowRequest(server.port);
    server.child.kill('SIGTERM');
    // The listener closes as the drain starts, just after the 'draining' lines are written:
    // wait for the refusal itself, while the in-flight request is still unanswered.
    await waitUntil('new connections to be refused', async () => !(await connects(server.port)), 2000);
    expect(slow.done()).toBe(false);

    const answered = await slow.response;
    expect(answered.status).toBe(503);
    expect(['not ready', 'draining']).toContain(answered.body.status);
    expect(answered.body.checks['dashboard gRPC']).toMatch(/^unavailable: no answer from /);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/SIGTERM: draining/);
    expect(server.output()).toMatch(/stopped/);
  });

  it('a second SIGTERM during the drain exits at once with 143', async () => {
    const server = await startProduct();
    const slow = await slowRequest(server.port);
    server.child.kill('SIGTERM');
    await until(() => server.output().includes('draining'), 'the drain to start');
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 143, signal: null });
    // The in-flight request never got its answer: the process went away under it.
    await expect(slow.response).rejects.toThrow();
    expect(server.output()).toMatch(/SIGTERM again: exiting without finishing the drain/);
  });

  it.each(['runserver', 'grpcrunserver'] as const)('%s: a SIGTERM as soon as the port accepts, before start-up has finished, still drains and exits 0', async (command) => {
    // The port is bound before the rest of start-up (the relay, the metrics port); the
    // signal must not find the process without its handler (default action: killed).
    // Polled every 2 ms (waitForPort's 50 ms can miss the window on a fast start), and only
    // this server's own listener counts (another test's process may hold the same port).
    const server = await startProduct(command, async (port, pid) => {
      for (let i = 0; i < 5000 && !(listensOn(pid, port) && (await connects(port))); i++) await new Promise((resolve) => setTimeout(resolve, 2));
    });
    server.child.kill('SIGTERM');
    expect(await server.exited, server.output()).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/SIGTERM: draining/);
  });
});
