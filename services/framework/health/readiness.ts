/**
 * /readyz: whether this process should get traffic now. Ready when its database answers
 * `SELECT 1` and every peer answers a grpc.health.v1 Check with SERVING, each within
 * `timeoutMs`; not ready (naming what failed) otherwise, and "draining" once shutdown began.
 * /healthz (liveness) stays a plain 200 while the process runs.
 *
 * @example
 *   const readiness = createReadiness({ sequelize, peers: [{ name: 'product gRPC', target: '127.0.0.1:10006' }] });
 *   app.get('/readyz', readinessHandler(readiness));
 */
import type * as grpc from '@grpc/grpc-js';
import type { RequestHandler } from 'express';
import type { Sequelize } from 'sequelize';

import { createPeerHealth, type Peer } from './peer-health.js';

export interface ReadinessReport {
  status: 'ready' | 'not ready' | 'draining';
  /** "ok" or the problem, per dependency: { database: 'ok', 'product gRPC': 'unavailable: …' }. */
  checks: Record<string, string>;
}

export interface Readiness {
  report(): Promise<ReadinessReport>;
  /** From now on every report is "draining". */
  startDraining(): void;
  readonly draining: boolean;
  close(): void;
}

export interface ReadinessOptions {
  sequelize?: Sequelize;
  peers?: Peer[];
  /** How to reach the peers (TLS when the service's clients use it; plaintext by default). */
  credentials?: grpc.ChannelCredentials;
  /** Bound of each check (default 1000 ms). */
  timeoutMs?: number;
}

function within<T>(promise: Promise<T>, ms: number, onTimeout: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(onTimeout), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function checkDatabase(sequelize: Sequelize, timeoutMs: number): Promise<string> {
  const query = sequelize.query('SELECT 1').then(
    () => 'ok',
    (err: unknown) => `unavailable: ${err instanceof Error ? err.message : String(err)}`,
  );
  return within(query, timeoutMs, `unavailable: no answer within ${timeoutMs} ms`);
}

export function createReadiness(options: ReadinessOptions = {}): Readiness {
  const timeoutMs = options.timeoutMs ?? 1000;
  const peers = options.peers ?? [];
  const peerHealth = createPeerHealth(options.credentials);
  let draining = false;
  return {
    async report() {
      if (draining) return { status: 'draining', checks: {} };
      const names = [...(options.sequelize ? ['database'] : []), ...peers.map((peer) => peer.name)];
      const results = await Promise.all([
        ...(options.sequelize ? [checkDatabase(options.sequelize, timeoutMs)] : []),
        ...peers.map((peer) => peerHealth.check(peer, timeoutMs)),
      ]);
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
      if (draining) return { status: 'draining', checks };
      return { status: results.every((result) => result === 'ok') ? 'ready' : 'not ready', checks };
    },
    startDraining() {
      draining = true;
    },
    get draining() {
      return draining;
    },
    close: () => peerHealth.close(),
  };
}

/** GET /readyz: 200 when ready, 503 with the failing checks named otherwise. */
export function readinessHandler(readiness: Readiness): RequestHandler {
  return (_req, res, next) => {
    readiness.report().then((report) => {
      res.status(report.status === 'ready' ? 200 : 503).json(report);
    }, next);
  };
}
