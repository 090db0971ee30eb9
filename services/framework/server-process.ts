/**
 * What starting a server process takes, for everything that starts one (the services'
 * peers, `mgrpc up`, `runserver`, the bench, the tests): where mgrpc's own servers listen,
 * a free loopback port for one started on the side, and the V8 flags a server runs with.
 * Kept free of grpc, express and Sequelize: the CLI reads it while building `--help`.
 *
 * @example
 *   defineServiceModule({ name: 'dashboard', ports: SERVICE_PORTS.dashboard, … });
 *   env.PRODUCT_GRPC_SERVER || localAddress('product', 'grpc'); // '127.0.0.1:10006'
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

import type { Side } from './runtime.js';
import { DEFAULT_BASE_PORT } from './service-module.js';

/**
 * The port layout of mgrpc's two services: offsets from the base port (10000 unless
 * `mgrpc up --base-port` says otherwise), as in the tutorial: 10006-10009. A service made by
 * `mgrpc startservice` declares its own pair in its index.ts (10 and 11, then 12 and 13, …).
 */
export const SERVICE_PORTS = {
  product: { grpc: 6, rest: 7 },
  dashboard: { rest: 8, grpc: 9 },
} as const satisfies Record<string, Record<Side, number>>;

export type LaidOutService = keyof typeof SERVICE_PORTS;

/** `127.0.0.1:10009`: where `service`'s `side` listens when nothing else is said. */
export function localAddress(service: LaidOutService, side: Side): string {
  return `127.0.0.1:${DEFAULT_BASE_PORT + SERVICE_PORTS[service][side]}`;
}

/** "N+6 (product gRPC), N+7 (product REST), …": the layout in offset order, for help texts. */
export function describePortLayout(): string {
  const ports = Object.entries(SERVICE_PORTS).flatMap(([service, sides]) =>
    Object.entries(sides).map(([side, offset]) => ({ offset, what: `${service} ${side === 'rest' ? 'REST' : 'gRPC'}` })),
  );
  return ports
    .sort((a, b) => a.offset - b.offset)
    .map((p) => `N+${p.offset} (${p.what})`)
    .join(', ');
}

/**
 * V8 settings for the server processes mgrpc starts itself (`mgrpc up`, `mgrpc bench`; the
 * Docker image and compose file set the same through NODE_OPTIONS). Left alone, V8 lets a
 * busy server's heap grow to a few hundred MB before it collects, although what is live
 * stays near 30 MB; a bounded old space keeps RSS near the live set at no measurable cost
 * in throughput. A service that really holds more raises it with MGRPC_SERVER_NODE_OPTIONS.
 */
export const DEFAULT_SERVER_NODE_OPTIONS = '--max-old-space-size=96 --max-semi-space-size=8';

/** NODE_OPTIONS for a server child: the caller's own, then ours (set to '' to add none). */
export function serverNodeOptions(env: NodeJS.ProcessEnv): string {
  const ours = env.MGRPC_SERVER_NODE_OPTIONS ?? DEFAULT_SERVER_NODE_OPTIONS;
  return [env.NODE_OPTIONS, ours].filter((part) => part && part.trim() !== '').join(' ');
}

/**
 * glibc's malloc arenas for a server child (MALLOC_ARENA_MAX, read by glibc as the process
 * starts, so it can only be given to a child). Left alone, each thread that allocates may get an
 * arena of its own, up to eight per core, and SQLite's work in libuv's pool threads then keeps
 * several part-empty heaps. Two arenas held the dashboard gRPC server's peak RSS 3-7 MB lower
 * under LikeProduct at c16 and c64, at no more CPU per call (docs/performance.md, "The heap cap's
 * cost"). Other C libraries ignore it; a value the caller set is kept (empty counts as unset, as
 * in the compose file).
 */
export const DEFAULT_MALLOC_ARENA_MAX = '2';

/** The environment of a server child: `env` with the servers' NODE_OPTIONS and malloc arenas. */
export function serverProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: serverNodeOptions(env), MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX || DEFAULT_MALLOC_ARENA_MAX };
}

/**
 * The V8 flag that goes with the bounded heap on a gRPC server, on its command line (Node
 * refuses it in NODE_OPTIONS). Under a heap maximum below about 1 GB, V8 lets the old
 * generation grow only about 1.3x past what survived the last full collection, so a gRPC
 * server whose live set is 15 MB ran a full mark-compact every 20-25 MB of promotions under
 * load, marking on helper threads most of the time. A fixed factor of 2.5 collects a third as
 * often for 7-10% less CPU per call (docs/performance.md, "The heap cap's cost"). REST servers
 * keep V8's factor: with it their peak RSS rose by 20 MB to 145 MB, close to the 150 MB
 * target, for no measured gain. Left out when MGRPC_SERVER_NODE_OPTIONS replaces our heap
 * settings.
 */
export const DEFAULT_GRPC_SERVER_V8_FLAGS: readonly string[] = ['--heap-growing-percent=150'];

/** Node flags to put before the script of a server child (see DEFAULT_GRPC_SERVER_V8_FLAGS). */
export function serverNodeFlags(env: NodeJS.ProcessEnv, side: Side): string[] {
  return side === 'grpc' && env.MGRPC_SERVER_NODE_OPTIONS === undefined ? [...DEFAULT_GRPC_SERVER_V8_FLAGS] : [];
}

/**
 * What is wrong with the servers' heap settings (`serverNodeOptions(env)`), if anything: an
 * old-generation cap below the size V8 lets the young generation reach. Objects that survive
 * the young generation are moved into the old one, so V8 then runs full collections almost
 * constantly, and a server may run out of memory. Node 24's V8 lets the young generation reach
 * 192 MB unless told otherwise (Node 20 and 22: 48 MB): a dashboard gRPC server on Node 24.22.3
 * with `--max-old-space-size=96` alone ran 666 full mark-compacts in a few seconds of
 * LikeProduct at c64, 1.2 ms of CPU per call instead of 0.16 (docs/performance.md, "On Node 22
 * and 24"). Asked of the node the servers run on, with those options: a child reports its heap
 * limit, the old generation's cap plus the young generation's, so whatever V8 does with the
 * options (or changes in its defaults) is judged as it is. Without MGRPC_SERVER_NODE_OPTIONS
 * nothing is asked (no child on `mgrpc up`'s start): our settings come last in NODE_OPTIONS, so
 * they decide both sizes whatever the caller's own say, and
 * `youngGenerationProblem(DEFAULT_SERVER_NODE_OPTIONS)` is tested on the node that runs the tests.
 */
export function heapSettingsProblem(env: NodeJS.ProcessEnv, node: string = process.execPath): string | undefined {
  return env.MGRPC_SERVER_NODE_OPTIONS === undefined ? undefined : youngGenerationProblem(serverNodeOptions(env), env, node);
}

/** heapSettingsProblem for these exact NODE_OPTIONS, always asking `node`. */
export function youngGenerationProblem(options: string, env: NodeJS.ProcessEnv = process.env, node: string = process.execPath): string | undefined {
  // The last of repeated options is the one V8 keeps.
  const oldMb = Number([...options.matchAll(/--max[-_]old[-_]space[-_]size=(\d+)/g)].at(-1)?.[1] ?? NaN);
  if (!Number.isFinite(oldMb)) return undefined;
  const probe = spawnSync(node, ['-e', "process.stdout.write(`${require('node:v8').getHeapStatistics().heap_size_limit} ${process.version}`)"], {
    env: { ...env, NODE_OPTIONS: options },
    encoding: 'utf8',
    timeout: 10_000,
  });
  const [limit, version] = (probe.stdout ?? '').split(' ');
  const youngMb = Math.round(Number(limit) / 2 ** 20 - oldMb);
  // A probe that failed says nothing about the heap; the servers' own start reports bad options.
  if (probe.status !== 0 || !Number.isFinite(youngMb) || youngMb <= oldMb) return undefined;
  return (
    `the servers' heap settings cap the old generation at ${oldMb} MB, below the ${youngMb} MB their young generation may reach on node ${version}: ` +
    `they would collect garbage almost constantly (several times the CPU per request) and may run out of memory. ` +
    `Set --max-semi-space-size=N in MGRPC_SERVER_NODE_OPTIONS so that 3 x N MB stays below the cap (the default is '${DEFAULT_SERVER_NODE_OPTIONS}': 24 MB under 96)`
  );
}

/** A closed range of ports, `first` to `last`. */
export interface PortRange {
  first: number;
  last: number;
}

/** Where ports for servers started by tests and the bench begin when MGRPC_TEST_PORTS is unset. */
export const FIRST_PORT = 20_000;
/** The first port Linux gives to outgoing connections by default (ip_local_port_range's start). */
export const EPHEMERAL_START = 32_768;

/** The first port this OS gives to outgoing connections (Linux's ip_local_port_range; 32768 elsewhere). */
export function ephemeralStart(read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')): number {
  try {
    const first = Number(read().trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 1024 ? first : EPHEMERAL_START;
  } catch {
    return EPHEMERAL_START;
  }
}

/**
 * The ports tests and the bench may take for servers they start: MGRPC_TEST_PORTS
 * (`20000-20999`) when set, else 20000 up to just below the OS's ephemeral range, so the
 * kernel never hands one of them to an outgoing connection between the moment it is found
 * free and the moment our server binds it (a port from bind(0) can be).
 *
 * @example
 *   testPortRange({ MGRPC_TEST_PORTS: '20000-20999' }); // { first: 20000, last: 20999 }
 */
export function testPortRange(env: NodeJS.ProcessEnv = process.env, ephemeral = ephemeralStart): PortRange {
  const setting = env.MGRPC_TEST_PORTS?.trim();
  if (setting) {
    const match = /^(\d+)\s*-\s*(\d+)$/.exec(setting);
    const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!(first >= 1024 && last <= 65_535 && last - first >= 19)) {
      throw new Error(`MGRPC_TEST_PORTS='${setting}' is not a range of at least 20 ports like 20000-20999 (first >= 1024, last <= 65535)`);
    }
    return { first, last };
  }
  const last = ephemeral() - 1;
  if (last - FIRST_PORT < 999) {
    throw new Error(`the OS's ephemeral ports start at ${last + 1}, leaving no default test range above ${FIRST_PORT}: set MGRPC_TEST_PORTS, e.g. 10100-10999`);
  }
  return { first: FIRST_PORT, last };
}

/** How many parts testPortRange() is cut into, one per test worker (see workerPortRange). */
const WORKER_PARTS = 4;
/** The smallest part worth cutting: the replicas test takes a band of 1,020 ports. */
const MIN_WORKER_PART = 1_100;

/**
 * The part of testPortRange() this test worker takes its ports from: vitest runs one file per
 * worker at a time (VITEST_POOL_ID 1, 2, …, inherited by the servers a test spawns), and files
 * in different workers run at once. A test that stops a server and starts it again on the same
 * port (a restart, a kill) leaves that port free meanwhile; with one shared range another
 * worker's file could take it and the restarted server would answer for the wrong system.
 * Disjoint parts make that impossible. Outside vitest, or with a range too narrow to cut,
 * the whole range.
 */
export function workerPortRange(env: NodeJS.ProcessEnv = process.env, ephemeral = ephemeralStart): PortRange {
  const whole = testPortRange(env, ephemeral);
  const worker = Number(env.VITEST_POOL_ID);
  const size = Math.floor((whole.last - whole.first + 1) / WORKER_PARTS);
  if (!Number.isInteger(worker) || worker < 1 || size < MIN_WORKER_PART) return whole;
  const first = whole.first + ((worker - 1) % WORKER_PARTS) * size;
  return { first, last: first + size - 1 };
}

// Each process walks a random block of its own within its worker's range, so processes of
// one worker rarely meet; a block found busy is left for another.
const BLOCK_SIZE = 50;
let range: PortRange | undefined;
let next = 0;
let blockEnd = 0;

function startRandomBlock(within: PortRange): void {
  const size = Math.min(BLOCK_SIZE, within.last - within.first + 1);
  const blocks = Math.floor((within.last - within.first + 1) / size);
  next = within.first + Math.floor(Math.random() * blocks) * size;
  blockEnd = next + size;
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

/** A loopback port that is free now, in workerPortRange(): outside the ports the OS gives to outgoing connections. */
export async function freePort(): Promise<number> {
  range ??= workerPortRange();
  const tries = range.last - range.first + 1;
  for (let tried = 0; tried < tries; tried++) {
    if (next >= blockEnd) startRandomBlock(range);
    const port = next++;
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port in ${range.first}-${range.last} (MGRPC_TEST_PORTS widens or moves it)`);
}
