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
