import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

import { bindable, workerPortRange } from '../../services/framework/server-process.js';

export { freePort } from '../../services/framework/server-process.js';

/**
 * A base port B with B+offset bindable for every offset, for `mgrpc up --base-port`: all of
 * them in this worker's part of the test range (workerPortRange, MGRPC_TEST_PORTS), as
 * freePort's are, so no client socket or other worker's test takes one meanwhile.
 */
export async function freeBasePort(offsets: readonly number[]): Promise<number> {
  const { first, last } = workerPortRange();
  const span = last - first - Math.max(...offsets) + 1;
  if (span < 1) throw new Error(`MGRPC_TEST_PORTS ${first}-${last} is narrower than the offsets ${offsets.join(', ')}`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = first + Math.floor(Math.random() * span);
    if ((await Promise.all(offsets.map((offset) => bindable(base + offset)))).every(Boolean)) return base;
  }
  throw new Error('no free base port found');
}

/**
 * Resolves once something accepts TCP connections on host:port. It waits for that event, not
 * for a time: on a slow machine it is slower, never a failure; the test's own timeout ends a
 * hang (after `patienceMs` it says once, on stderr, what it is still waiting for). Race it
 * with the server process's exit, as startSystem does.
 */
export async function waitForPort(port: number, host = '127.0.0.1', patienceMs = 15_000): Promise<void> {
  const started = Date.now();
  let noted = false;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (!noted && Date.now() - started > patienceMs) {
      noted = true;
      process.stderr.write(`still waiting for a listener on ${host}:${port} after ${patienceMs} ms (a slow machine?)\n`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Whether process `pid` itself holds a socket listening on TCP `port` (Linux /proc): a test
 * that must act the moment its server's port opens cannot take just any listener for it,
 * since another test's process may have bound the same "free" port meanwhile.
 */
export function listensOn(pid: number, port: number): boolean {
  const own = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith('socket:[')) own.add(target.slice(8, -1));
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return false;
  }
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st ... inode: state 0A is LISTEN.
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(local) && fields[3] === '0A' && own.has(fields[9])) return true;
    }
  }
  return false;
}
