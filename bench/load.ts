/**
 * The load generator, run by the bench as its own node process (`fork`), so the client's CPU
 * is not the orchestrator's: `concurrency` workers send requests back to back for `warmupMs`
 * (not measured) and then `durationMs` (measured), each request timed alone. Reports
 * progress and a final `LoadResult` over IPC (or the result as JSON on stdout without IPC).
 *
 * Every acknowledged write is counted, warm-up included, for the bench's correctness check.
 */
import http from 'node:http';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';

import type { LoadKind } from './kinds.js';
import { productServiceClient } from './product-proto.js';
import { perSecond, summarize, type LatencySummary } from './stats.js';
import { benchUserId } from './users.js';

export type { LoadKind };

export interface LoadSpec {
  kind: LoadKind;
  /** gRPC: host:port. REST: the full URL requests go to. */
  target: string;
  /** The product liked (like kinds). */
  productId?: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Per request; a request over it is an error (`timeout` / DEADLINE_EXCEEDED). */
  timeoutMs: number;
  /** rest-like: the first bench user (users.ts) this load likes as; each request takes the next. */
  userOffset?: number;
}

export interface LoadResult {
  /** Requests finished in the measured window, and those that succeeded. */
  requests: number;
  /** Requests started, warm-up included (the bench users a rest-like load used). */
  sent: number;
  ok: number;
  /** Successful requests per second over the measured window. */
  throughput: number;
  latencyMs: LatencySummary;
  /** Failed requests in the measured window by kind (`http_500`, `http_202_pending`, `grpc_UNAVAILABLE`, `timeout`, …). */
  errors: Record<string, number>;
  errorCount: number;
  /** Over the whole run, warm-up included: writes the server acknowledged, and likes answered 202 (recorded, not yet counted). */
  acknowledged: number;
  pending: number;
  /** Failed requests over the whole run, warm-up included. */
  totalErrors: number;
  measuredMs: number;
  /**
   * CPU the load process itself used (user + system, warm-up included) over its wall time, ms:
   * near one core's worth (loadCpuMs ≈ loadWallMs) means the client, not the server, set the pace.
   */
  loadCpuMs: number;
  loadWallMs: number;
  /** Every measured request's latency, ms: for merging slices (slices.ts); not kept in the results. */
  samples?: number[];
}

export type LoadMessage = { type: 'progress'; elapsedMs: number; totalMs: number } | { type: 'result'; result: LoadResult } | { type: 'error'; message: string };

type Outcome = { ok: true; pending?: false } | { ok: false; pending?: boolean; kind: string };
type Send = () => Promise<Outcome>;

function grpcSender(spec: LoadSpec): Send {
  const ProductService = productServiceClient();
  const client = new ProductService(spec.target, grpc.credentials.createInsecure());
  const request = { id: spec.productId };
  return () =>
    new Promise((resolve) => {
      client.LikeProduct(request, { deadline: Date.now() + spec.timeoutMs }, (err: grpc.ServiceError | null) =>
        resolve(err ? { ok: false, kind: `grpc_${grpc.status[err.code] ?? err.code}` } : { ok: true }),
      );
    });
}

function restSender(spec: LoadSpec): Send {
  const url = new URL(spec.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const expected = spec.kind === 'rest-create' ? 201 : 200;
  let created = 0;
  let liked = spec.userOffset ?? 0;
  const body = () => JSON.stringify(spec.kind === 'rest-create' ? { title: `bench product ${++created}` } : { user_id: benchUserId(liked++) });
  return () =>
    new Promise((resolve) => {
      const payload = body();
      const req = http.request(
        url,
        { method: 'POST', agent, timeout: spec.timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          res.resume();
          res.once('end', () => {
            const status = res.statusCode ?? 0;
            if (status === expected) resolve({ ok: true });
            // The like is recorded but the dashboard did not count it in time: an error for the bench.
            else if (status === 202 && spec.kind === 'rest-like') resolve({ ok: false, pending: true, kind: 'http_202_pending' });
            else resolve({ ok: false, kind: `http_${status}` });
          });
        },
      );
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', (err) => resolve({ ok: false, kind: err.message === 'timeout' ? 'timeout' : `net_${(err as NodeJS.ErrnoException).code ?? 'error'}` }));
      req.end(payload);
    });
}

export async function runLoad(spec: LoadSpec, onProgress?: (elapsedMs: number, totalMs: number) => void): Promise<LoadResult> {
  const send = spec.kind === 'grpc-like' ? grpcSender(spec) : restSender(spec);
  const start = performance.now();
  const cpuAtStart = process.cpuUsage();
  const measureFrom = start + spec.warmupMs;
  const end = measureFrom + spec.durationMs;
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let requests = 0;
  let sent = 0;
  let ok = 0;
  let acknowledged = 0;
  let pending = 0;
  let totalErrors = 0;
  let lastDone = measureFrom;

  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      sent++;
      const outcome = await send();
      const t1 = performance.now();
      if (outcome.ok) acknowledged++;
      else {
        totalErrors++;
        if (outcome.pending) pending++;
      }
      if (t0 < measureFrom) continue;
      requests++;
      lastDone = Math.max(lastDone, t1);
      latencies.push(t1 - t0);
      if (outcome.ok) ok++;
      else errors[outcome.kind] = (errors[outcome.kind] ?? 0) + 1;
    }
  };
  const timer = onProgress ? setInterval(() => onProgress(Math.min(performance.now() - start, end - start), end - start), 250) : undefined;
  try {
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
  } finally {
    clearInterval(timer);
  }
  const measuredMs = Math.max(1, lastDone - measureFrom);
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    requests,
    sent,
    ok,
    throughput: perSecond(ok, measuredMs),
    latencyMs: summarize(latencies),
    errors,
    errorCount: requests - ok,
    acknowledged,
    pending,
    totalErrors,
    measuredMs: Math.round(measuredMs),
    loadCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    loadWallMs: Math.round(performance.now() - start),
    samples: latencies.map((ms) => Math.round(ms * 1000) / 1000),
  };
}

// Entry point when forked by the bench: the spec is argv[2] as JSON.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  // The bench went away mid-run: stop loading the servers.
  process.once('disconnect', () => process.exit(1));
  const send = (message: LoadMessage): Promise<void> =>
    new Promise((resolve) => {
      if (process.send) process.send(message, undefined, {}, () => resolve());
      else {
        if (message.type !== 'progress') process.stdout.write(`${JSON.stringify(message)}\n`);
        resolve();
      }
    });
  // The grpc-js channel and the keep-alive agent would keep the process alive: exit once the result is out.
  runLoad(spec, (elapsedMs, totalMs) => void send({ type: 'progress', elapsedMs, totalMs })).then(
    (result) => send({ type: 'result', result }).then(() => process.exit(0)),
    (err: Error) => send({ type: 'error', message: err.message }).then(() => process.exit(1)),
  );
}
