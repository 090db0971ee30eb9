/**
 * TCP checks behind `mgrpc up`: is a port free to listen on (before starting anything), and
 * does a process accept connections yet (before announcing that the system is up).
 */
import net from 'node:net';

/**
 * Tries to listen on host:port and closes again at once. Resolves `undefined` when the port is
 * free, else the error code (EADDRINUSE, EADDRNOTAVAIL, EACCES, …).
 */
export function listenProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** One connection attempt; true when something accepted it. Gives up after `timeoutMs`. */
export function accepts(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves once host:port accepts connections; rejects when `signal` aborts (with its reason)
 * or after `timeoutMs`.
 */
export async function waitUntilAccepting(
  host: string,
  port: number,
  { timeoutMs, intervalMs = 100, signal }: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (await accepts(host, port)) return;
    if (Date.now() >= deadline) throw new Error(`nothing accepted connections on ${host}:${port} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Where a client reaches a server listening on `host`: the wildcard addresses mean this machine. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

// Ports for servers started by tests and the bench: below Linux's ephemeral range
// (32768-60999), so the kernel never hands one of them to an outgoing connection between the
// moment it is found free and the moment our server binds it (a port from bind(0) can be).
// Each process walks a random block of its own, so concurrent test workers rarely meet.
export const FIRST_PORT = 20_000;
/** The first port Linux gives to outgoing connections (ip_local_port_range's default start). */
export const EPHEMERAL_START = 32_768;
const BLOCKS = 250;
const BLOCK_SIZE = 50;
let block = randomBlock();
let offset = 0;

function randomBlock(): number {
  return FIRST_PORT + Math.floor(Math.random() * BLOCKS) * BLOCK_SIZE;
}

/** Whether a loopback listener could bind `port` right now. */
export function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port that is free now and outside the range the OS gives to outgoing connections. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 1000; tries++) {
    if (offset === BLOCK_SIZE) {
      block = randomBlock();
      offset = 0;
    }
    const port = block + offset++;
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port found from ${FIRST_PORT}`);
}
