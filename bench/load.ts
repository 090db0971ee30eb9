/**
 * The load generator, run by the bench as its own node process (`fork`), so the client's CPU
 * is not the orchestrator's: `concurrency` workers send requests back to back for `warmupMs`
 * (not measured) and then `durationMs` (measured), each request timed alone.
 *
 * Forked with IPC it stays warm between the slices of an interleaved measurement (slices.ts):
 * its client (a gRPC channel, or keep-alive connections) and its JIT are made once, and each
 * `run` message measures one slice, answered with its `LoadResult` (progress meanwhile), until
 * `stop`. So a slice needs only a short re-warm, and a run can take many short slices. Without
 * IPC it runs once with the spec's times and prints the result as JSON on stdout.
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

/** What the bench sends a warm load process: measure one slice, or exit. */
export type LoadCommand = { type: 'run'; warmupMs: number; durationMs: number } | { type: 'stop' };

type Outcome = { ok: true; pending?: false } | { ok: false; pending?: boolean; kind: string };

interface Sender {
  send(): Promise<Outcome>;
  /**
   * Before a slice after a pause: drops idle keep-alive connections, which the server may close
   * meanwhile (Node's closes them after 5 s idle), so no request races a closing socket. A gRPC
   * channel keeps its connection: HTTP/2 closes it with a GOAWAY the channel heeds.
   */
  resume(): void;
}

function grpcSender(spec: LoadSpec): Sender {
  const ProductService = productServiceClient();
  const client = new ProductService(spec.target, grpc.credentials.createInsecure());
  const request = { id: spec.productId };
  return {
    send: () =>
      new Promise((resolve) => {
        client.LikeProduct(request, { deadline: Date.now() + spec.timeoutMs }, (err: grpc.ServiceError | null) =>
          resolve(err ? { ok: false, kind: `grpc_${grpc.status[err.code] ?? err.code}` } : { ok: true }),
        );
      }),
    resume() {},
  };
}

function restSender(spec: LoadSpec): Sender {
  const url = new URL(spec.target);
  const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  let agent = newAgent();
  const expected = spec.kind === 'rest-create' ? 201 : 200;
  let created = 0;
  // One load process per side and phase, for all its slices: its users are counted from the first (users.ts).
  let liked = 0;
  const body = () => JSON.stringify(spec.kind === 'rest-create' ? { title: `bench product ${++created}` } : { user_id: benchUserId(liked++) });
  const send = (): Promise<Outcome> =>
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
  return {
    send,
    resume() {
      agent.destroy();
      agent = newAgent();
    },
  };
}

/** The sender for a spec: made once per load process, its client kept across slices. */
export function senderFor(spec: LoadSpec): Sender {
  return spec.kind === 'grpc-like' ? grpcSender(spec) : restSender(spec);
}

/** One run of `spec.concurrency` workers on `sender`: warm-up, then the measured window. */
export async function runLoad(
  spec: LoadSpec,
  onProgress?: (elapsedMs: number, totalMs: number) => void,
  sender: Sender = senderFor(spec),
): Promise<LoadResult> {
  const send = () => sender.send();
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
  const sender = senderFor(spec);
  // The grpc-js channel and the keep-alive agent would keep the process alive: it exits itself.
  if (process.send) {
    // The bench went away mid-run: stop loading the servers.
    process.once('disconnect', () => process.exit(1));
    const send = (message: LoadMessage): Promise<void> => new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
    let runs = 0;
    process.on('message', (command: LoadCommand) => {
      if (command.type === 'stop') process.exit(0);
      if (runs++ > 0) sender.resume();
      runLoad({ ...spec, warmupMs: command.warmupMs, durationMs: command.durationMs }, (elapsedMs, totalMs) => void send({ type: 'progress', elapsedMs, totalMs }), sender).then(
        (result) => send({ type: 'result', result }),
        (err: Error) => send({ type: 'error', message: err.message }).then(() => process.exit(1)),
      );
    });
  } else {
    runLoad(spec, undefined, sender).then(
      (result) => {
        process.stdout.write(`${JSON.stringify({ type: 'result', result })}\n`);
        process.exit(0);
      },
      (err: Error) => {
        process.stdout.write(`${JSON.stringify({ type: 'error', message: err.message })}\n`);
        process.exit(1);
      },
    );
  }
}
