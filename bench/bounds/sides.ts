/**
 * The sides that bound a target, one entry each: what the side is, which path it bounds, the
 * server it starts and how the bench checks that it lost no like. `mgrpc bench` (run.ts)
 * starts, loads, checks and reports every side from this table, and the verdict (verdicts.ts)
 * reads each side's kind from it; adding a bound is an entry here and its server in this
 * folder.
 */
import type { Role } from '../databases.js';
import type { LoadKind } from '../kinds.js';

/**
 * What a bound holds for (verdicts.ts):
 * - `limit`: ours (a miss here, with ours no better, is out of reach);
 * - `design`: servers that write a like batch as ours does;
 * - `other-design`: another design with the same guarantees; it bounds nothing itself.
 */
export type BoundKind = 'limit' | 'design' | 'other-design';

/** The bench's databases: which design ours' like batch is depends on it. */
export type BenchDialect = 'sqlite' | 'postgres';

/**
 * Where a side's likes end up, so the bench can count them against what its load was told:
 * - `memory`: counted in the server's memory; one more like answers the count;
 * - `rows`: the `likes` column of its database's product;
 * - `rows+log`: that, and as many rows in its change log (`bare_changes`);
 * - `outbox`: 202s wait in the REST twin's outbox (the bare product database) until its relay
 *   has delivered them, then the bare dashboard's count and the like rows must match.
 */
export type LikesAt = 'memory' | 'rows' | 'rows+log' | 'outbox';

export interface BoundSpec {
  /** As the report shows it. */
  label: string;
  kind: BoundKind;
  /** Its kind on PostgreSQL, where that differs (ours writes a like batch otherwise there). */
  kindOnPostgres?: BoundKind;
  /** The path whose target it bounds; it is measured interleaved with ours and the bare server there. */
  path: Extract<LoadKind, 'grpc-like' | 'rest-like'>;
  /** Its process's name in the report (cold starts, RSS, CPU). */
  server: string;
  /** Its main, under the bench's dist folder. */
  script: string;
  protocol: 'grpc' | 'rest';
  /** The servers a request runs through (their CPU is the path's cost). */
  servers: readonly string[];
  /** Its database (BENCH_DB), when it has one. */
  db?: Extract<Role, 'bare_dashboard' | 'bare_product' | 'bare_one_trip'>;
  /** Runs with the node options our servers run with (MGRPC_SERVER_NODE_OPTIONS), as the framework layer does. */
  asOurServers?: boolean;
  /** Calls the bare gRPC server for its likes (BENCH_DASHBOARD_GRPC), as the REST like's twin does. */
  callsBareGrpc?: boolean;
  likes: LikesAt;
  /**
   * The sides whose whole per-request work this one does too (and more). When this one meets a
   * target, their misses bound nothing: a server doing more met it (verdicts.ts). Under load a
   * side that batches can beat one that does less work call by call: answers written together
   * share HTTP/2 writes.
   */
  includes?: readonly BoundImpl[];
}

/** The bounds, by the name the report and the results' JSON give their phases. */
export type BoundImpl = 'ceiling' | 'layer' | 'layeronetrip' | 'batched' | 'onetrip' | 'once';

export const BOUNDS: Readonly<Record<BoundImpl, BoundSpec>> = {
  ceiling: {
    label: 'ceiling (no db)',
    kind: 'limit',
    path: 'grpc-like',
    server: 'ceiling_grpc',
    script: 'bounds/grpc-ceiling-server.js',
    protocol: 'grpc',
    servers: ['ceiling_grpc'],
    likes: 'memory',
  },
  layer: {
    label: 'framework layer (no db)',
    kind: 'limit',
    path: 'grpc-like',
    server: 'layer_grpc',
    script: 'bounds/framework-layer-server.js',
    protocol: 'grpc',
    servers: ['layer_grpc'],
    asOurServers: true,
    likes: 'memory',
    includes: ['ceiling'],
  },
  layeronetrip: {
    label: 'framework layer + one trip',
    kind: 'limit',
    path: 'grpc-like',
    server: 'layer_one_trip_grpc',
    script: 'bounds/layer-one-trip-server.js',
    protocol: 'grpc',
    servers: ['layer_one_trip_grpc'],
    asOurServers: true,
    // The one-trip bound's: its trigger writes this side's log too (the two never run at once).
    db: 'bare_one_trip',
    likes: 'rows+log',
    includes: ['ceiling', 'layer', 'onetrip'],
  },
  // On SQLite ours writes a batch of plain likes as one statement, the log by a trigger
  // (services/framework/watch/counter-log.ts): the one-trip bound's design. On PostgreSQL it
  // writes it as the batched twin does, in a transaction with the log's rows.
  batched: {
    label: 'bare batched + change log',
    kind: 'other-design',
    kindOnPostgres: 'design',
    path: 'grpc-like',
    server: 'batched_grpc',
    script: 'bounds/grpc-like-batched.js',
    protocol: 'grpc',
    servers: ['batched_grpc'],
    db: 'bare_dashboard',
    likes: 'rows+log',
    includes: ['ceiling'],
  },
  onetrip: {
    label: 'bare one trip + trigger log',
    kind: 'design',
    kindOnPostgres: 'other-design',
    path: 'grpc-like',
    server: 'one_trip_grpc',
    script: 'bounds/grpc-like-one-trip.js',
    protocol: 'grpc',
    servers: ['one_trip_grpc'],
    // Its own: the trigger must not fire for the other bare sides' likes.
    db: 'bare_one_trip',
    likes: 'rows+log',
    includes: ['ceiling'],
  },
  once: {
    label: 'bare exactly-once',
    kind: 'limit',
    path: 'rest-like',
    server: 'bare_rest_once',
    script: 'bounds/rest-like-once.js',
    protocol: 'rest',
    servers: ['bare_rest_once', 'bare_grpc'],
    db: 'bare_product',
    callsBareGrpc: true,
    likes: 'outbox',
  },
};

export const BOUND_IMPLS = Object.keys(BOUNDS) as BoundImpl[];

/** The bound a phase's side is, if it is one. */
export function boundOf(impl: string): BoundSpec | undefined {
  return Object.hasOwn(BOUNDS, impl) ? BOUNDS[impl as BoundImpl] : undefined;
}

/** What a bound holds for on the bench's database. */
export function boundKind(impl: BoundImpl, dialect: BenchDialect): BoundKind {
  const side = BOUNDS[impl];
  return dialect === 'postgres' ? (side.kindOnPostgres ?? side.kind) : side.kind;
}

/** The bounds of a path, in the table's order. */
export function boundsOf(path: LoadKind): BoundImpl[] {
  return BOUND_IMPLS.filter((impl) => BOUNDS[impl].path === path);
}
