/**
 * `mgrpc status` as a function: every process of the running system (the project's `mgrpc up`,
 * replicas included, else each service at its variables' or default addresses), whether it
 * answers (REST GET /readyz, gRPC grpc.health.v1 Check), and each service's outbox depth read
 * from its database (read-only, cli/outbox/report.ts).
 *
 * @example
 *   const report = await systemStatus({});
 *   process.stdout.write(formatStatus(report)); // exit 1 when !report.ok
 */
import * as grpc from '@grpc/grpc-js';

import { DEFAULT_BASE_PORT, grpcClientSecurity, loadDotenv } from '../../services/framework/index.js';
import { formatTable } from '../client/format.js';
import { describeNetworkError } from '../client/http.js';
import { dataDir, describeUp, grpcTarget, restUrl, upContext } from '../context/resolve.js';
import type { UpProcess } from '../context/state-file.js';
import { outboxReport } from '../outbox/report.js';
import { loadRegistry } from '../project-registry.js';

export interface StatusOptions {
  dataDir?: string;
  /** How long each probe waits for an answer. */
  timeoutMs?: number;
}

export interface ProcessStatus {
  name: string;
  service: string;
  side: 'rest' | 'grpc';
  /** http://host:port for REST, host:port (or an ipv4: list) for gRPC. */
  address: string;
  health: 'up' | 'not ready' | 'down';
  detail: string;
}

export type OutboxDepth = { service: string; pending: number; failed: number } | { service: string; error: string };

export interface SystemStatus {
  /** Where the addresses came from. */
  source: string;
  data?: string;
  processes: ProcessStatus[];
  outbox: OutboxDepth[];
  /** Every process answered and is ready. */
  ok: boolean;
}

const SERVING = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

async function restHealth(url: string, timeoutMs: number): Promise<Pick<ProcessStatus, 'health' | 'detail'>> {
  try {
    const response = await fetch(`${url}/readyz`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (response.ok) return { health: 'up', detail: 'ready' };
    let detail = `HTTP ${response.status}`;
    try {
      const body = JSON.parse(text) as { checks?: Record<string, string> };
      const failing = Object.entries(body.checks ?? {}).filter(([, v]) => v !== 'ok');
      if (failing.length > 0) detail = failing.map(([k, v]) => `${k}: ${v}`).join('; ');
    } catch {
      // Not our JSON: the status says enough.
    }
    return { health: 'not ready', detail };
  } catch (err) {
    return { health: 'down', detail: describeNetworkError(err, timeoutMs) };
  }
}

/** grpc.health.v1.Health/Check for the whole server (service ""), with raw bytes: no proto to load. */
function grpcHealth(address: string, timeoutMs: number): Promise<Pick<ProcessStatus, 'health' | 'detail'>> {
  const security = grpcClientSecurity(process.env);
  const client = new grpc.Client(address, security.credentials);
  const metadata = new grpc.Metadata();
  if (security.serviceToken) metadata.set('authorization', `Bearer ${security.serviceToken}`);
  return new Promise<Pick<ProcessStatus, 'health' | 'detail'>>((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.alloc(0),
      metadata,
      { deadline: Date.now() + timeoutMs },
      (err, response) => {
        if (err) {
          const reason = /ECONNREFUSED/.test(err.details) ? 'connection refused' : `${grpc.status[err.code] ?? err.code}: ${err.details.split('. ')[0]}`;
          return resolve({ health: 'down', detail: reason });
        }
        // HealthCheckResponse { status = 1 }: 0x08 then the enum as a varint; empty means 0.
        const status = response && response.length >= 2 && response[0] === 0x08 ? response[1]! : 0;
        resolve(status === 1 ? { health: 'up', detail: 'serving' } : { health: 'not ready', detail: SERVING[status] ?? `status ${status}` });
      },
    );
  }).finally(() => client.close());
}

/** The processes to ask: the running `up`'s, else one REST and one gRPC process per service of the project. */
async function processesToAsk(): Promise<{ source: string; processes: UpProcess[] }> {
  const { state, file } = upContext();
  if (state) return { source: describeUp(state, file), processes: state.processes };
  const { SERVICE_NAMES, loadService } = await loadRegistry();
  const processes: UpProcess[] = [];
  const sources = new Set<string>();
  for (const name of SERVICE_NAMES) {
    const module = await loadService(name);
    const rest =
      name === 'dashboard' || name === 'product' ? restUrl(name, undefined) : { value: `http://127.0.0.1:${DEFAULT_BASE_PORT + module.ports.rest}`, from: 'the default' };
    const grpcAt = grpcTarget(name, `127.0.0.1:${DEFAULT_BASE_PORT + module.ports.grpc}`);
    sources.add(rest.from).add(grpcAt.from);
    processes.push({ name, service: name, side: 'rest', address: rest.value.replace(/^https?:\/\//, '') });
    processes.push({ name: `${name}_grpc`, service: name, side: 'grpc', address: grpcAt.value });
  }
  // "the default" once: the longer form already says why the default was taken.
  const said = [...sources].filter((from, _, all) => from !== 'the default' || !all.some((other) => other !== from && other.startsWith('the default')));
  return { source: said.join(', '), processes };
}

export async function systemStatus(options: StatusOptions): Promise<SystemStatus> {
  loadDotenv();
  const timeoutMs = options.timeoutMs ?? 2000;
  const { source, processes } = await processesToAsk();
  const checked = await Promise.all(
    processes.map(async (p): Promise<ProcessStatus> => {
      const address = p.side === 'rest' && !/^https?:\/\//.test(p.address) ? `http://${p.address}` : p.address;
      const health = p.side === 'rest' ? await restHealth(address, timeoutMs) : await grpcHealth(address, timeoutMs);
      return { name: p.name, service: p.service, side: p.side, address, ...health };
    }),
  );
  const dir = dataDir(options.dataDir);
  const outbox = (await outboxReport({ dataDir: options.dataDir }, Date.now())).map((s): OutboxDepth => {
    if ('error' in s) return { service: s.service, error: s.error };
    const count = (state: string) => s.topics.filter((t) => t.state === state).reduce((sum, t) => sum + t.count, 0);
    return { service: s.service, pending: count('pending'), failed: count('failed') };
  });
  const data = dir.databases && Object.keys(dir.databases).length > 0 ? Object.values(dir.databases).join(', ') : dir.value;
  return { source, data, processes: checked, outbox, ok: checked.every((p) => p.health === 'up') };
}

export function formatStatus(status: SystemStatus): string {
  const rows = status.processes.map((p) => [p.name, p.side === 'rest' ? 'REST' : 'gRPC', p.address, p.health, p.detail]);
  let out = `addresses from ${status.source}\n`;
  out += formatTable(['process', 'side', 'address', 'health', 'detail'], rows);
  if (status.data) out += `data: ${status.data}\n`;
  out += 'outbox:\n';
  for (const s of status.outbox) {
    out += 'error' in s ? `  ${s.service}: ${s.error}\n` : `  ${s.service}: ${s.pending} pending${s.failed > 0 ? `, ${s.failed} failed (see \`mgrpc outbox --list\`)` : ''}\n`;
  }
  const down = status.processes.filter((p) => p.health !== 'up');
  out += down.length === 0 ? 'all processes up\n' : `${down.length} of ${status.processes.length} processes not up: ${down.map((p) => p.name).join(', ')}\n`;
  return out;
}
