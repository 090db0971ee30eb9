/**
 * What `mgrpc ui` shows: the dashboard's products with their like counts (from the
 * WatchProducts stream while it is up, else from the REST list), whether the product service
 * has each one (same id and title: synced; otherwise the sync is still pending), and whether
 * each of the four servers is up.
 *
 * The two gRPC servers have no HTTP port of their own; each REST side's /readyz asks its
 * gRPC peer (grpc.health.v1 Check) and reports the answer, so the dashboard's readiness
 * tells about product_grpc and the product service's about dashboard_grpc.
 *
 * @example
 *   const reading = await readSystem(clientApi(urls, 2000), urls);
 *   reading.servers.product_grpc; // { state: 'up' }
 */
import type { DashboardApi, ProductApi, ServiceUrls } from '../../client/api.js';
import { describeNetworkError, normalizeBaseUrl } from '../../client/http.js';
import type { Product, ProductCopy } from '../../client/types.js';

export type SyncState = 'synced' | 'pending' | 'unknown';

export interface ProductRow {
  id: string;
  title: string;
  image: string | null;
  likes: number;
  /** `unknown` while the product service cannot be asked. */
  sync: SyncState;
}

export const SERVER_NAMES = ['dashboard', 'dashboard_grpc', 'product', 'product_grpc'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

export interface ServerHealth {
  state: 'up' | 'down' | 'unknown';
  /** Why it is down or unknown, as the probe saw it. */
  detail?: string;
}

export interface SystemSnapshot {
  /** Undefined until the dashboard's list could be read once. */
  products?: ProductRow[];
  /** Why the product list could not be read this time (the last good one is kept). */
  productsError?: string;
  servers: Record<ServerName, ServerHealth>;
  /** The changes stream's state; undefined when the console does not follow one (polling only). */
  stream?: StreamStatus;
}

/** The dashboard's WatchProducts: connecting, following (the table is live), or down and retrying. */
export type StreamStatus =
  | { state: 'connecting' }
  /** `resynced`: the last resume point was gone from the change log, so the table was read whole again. */
  | { state: 'live'; resynced?: boolean }
  | { state: 'down'; reason: string; retryMs: number };

/** What one GET of /healthz or /readyz gave: the status and JSON body, or why nothing came back. */
export type Probe = { status: number; body: unknown } | { unreachable: string };

/** The checks object of a /readyz body: { database: 'ok', 'product gRPC': 'unavailable: …' }. */
function readinessChecks(probe: Probe): Record<string, unknown> | undefined {
  if ('unreachable' in probe) return undefined;
  const checks = (probe.body as { checks?: unknown } | null)?.checks;
  return typeof checks === 'object' && checks !== null ? (checks as Record<string, unknown>) : undefined;
}

function restHealth(liveness: Probe, readiness: Probe): ServerHealth {
  if ('unreachable' in liveness) return { state: 'down', detail: liveness.unreachable };
  if (liveness.status !== 200) return { state: 'down', detail: `/healthz answered ${liveness.status}` };
  const status = 'unreachable' in readiness ? undefined : (readiness.body as { status?: unknown } | null)?.status;
  if (status === 'draining') return { state: 'down', detail: 'draining' };
  return { state: 'up' };
}

/** The peer's state as the REST side's /readyz reported it under `checkName`. */
function peerHealth(reporter: string, readiness: Probe, checkName: string): ServerHealth {
  const check = readinessChecks(readiness)?.[checkName];
  if (check === 'ok') return { state: 'up' };
  if (typeof check === 'string') return { state: 'down', detail: check };
  return { state: 'unknown', detail: `the ${reporter} cannot tell (its /readyz did not answer)` };
}

/**
 * The four servers' health from the two REST sides' /healthz and /readyz.
 *
 * @example
 *   serverHealth({ dashboard: { healthz, readyz }, product: { healthz, readyz } }).dashboard_grpc
 */
export function serverHealth(probes: Record<'dashboard' | 'product', { healthz: Probe; readyz: Probe }>): Record<ServerName, ServerHealth> {
  return {
    dashboard: restHealth(probes.dashboard.healthz, probes.dashboard.readyz),
    dashboard_grpc: peerHealth('product service', probes.product.readyz, 'dashboard gRPC'),
    product: restHealth(probes.product.healthz, probes.product.readyz),
    product_grpc: peerHealth('dashboard', probes.dashboard.readyz, 'product gRPC'),
  };
}

/** The dashboard's products, each marked synced when the product service has it with the same title. */
export function productRows(products: readonly Product[], copies: readonly ProductCopy[] | undefined): ProductRow[] {
  const copyTitles = new Map(copies?.map((copy) => [copy.id, copy.title]));
  return products.map((p) => ({
    id: p.id,
    title: p.title,
    image: p.image ?? null,
    likes: p.likes,
    sync: copies === undefined ? 'unknown' : copyTitles.get(p.id) === p.title ? 'synced' : 'pending',
  }));
}

/** GET base + path with a deadline; never rejects. */
export async function probe(baseUrl: string, path: string, timeoutMs: number): Promise<Probe> {
  try {
    const response = await fetch(`${normalizeBaseUrl(baseUrl)}${path}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  } catch (err) {
    return { unreachable: describeNetworkError(err, timeoutMs) };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What one tick reads over REST: the servers' health, the product service's copies and, unless the stream has them, the dashboard's products. */
export interface SystemReading {
  servers: Record<ServerName, ServerHealth>;
  /** Undefined when the product service could not be asked. */
  copies?: ProductCopy[];
  /** The dashboard's list; undefined when it was not asked for (the stream has the products). */
  listed?: { ok: true; data: Product[] } | { ok: false; error: string };
}

/**
 * Reads in parallel what the console shows besides the streamed products. Never rejects:
 * what could not be read is reported in the reading.
 */
export async function readSystem(
  api: { dashboard: DashboardApi; product: ProductApi },
  urls: ServiceUrls,
  options: { probeTimeoutMs?: number; listProducts?: boolean } = {},
): Promise<SystemReading> {
  // /readyz bounds each of its own checks by 1 s; give it a little longer than that.
  const timeout = options.probeTimeoutMs ?? 2000;
  const [listed, copies, dashboardHealthz, dashboardReadyz, productHealthz, productReadyz] = await Promise.all([
    options.listProducts === false
      ? undefined
      : api.dashboard.listProducts().then(
          (r) => ({ ok: true as const, data: r.data }),
          (err: unknown) => ({ ok: false as const, error: message(err) }),
        ),
    api.product.listCopies().then(
      (r) => r.data,
      () => undefined,
    ),
    probe(urls.dashboard, '/healthz', timeout),
    probe(urls.dashboard, '/readyz', timeout),
    probe(urls.product, '/healthz', timeout),
    probe(urls.product, '/readyz', timeout),
  ]);
  const servers = serverHealth({
    dashboard: { healthz: dashboardHealthz, readyz: dashboardReadyz },
    product: { healthz: productHealthz, readyz: productReadyz },
  });
  return { servers, copies, listed };
}

/** The dashboard's WatchProducts as the console follows it: its state and, once it had a snapshot, the products. */
export interface StreamView {
  status: StreamStatus;
  products?: readonly Product[];
}

/**
 * The screen's data: the products from the stream while it is live, else from the dashboard's
 * list (the `previous` rows, flagged, when that could not be read either).
 *
 * @example
 *   systemSnapshot(await readSystem(api, urls, { listProducts: false }), { status: { state: 'live' }, products }, undefined)
 */
export function systemSnapshot(reading: SystemReading, stream: StreamView | undefined, previous: ProductRow[] | undefined): SystemSnapshot {
  const base: SystemSnapshot = { servers: reading.servers, ...(stream ? { stream: stream.status } : {}) };
  if (stream?.status.state === 'live' && stream.products) return { ...base, products: productRows(stream.products, reading.copies) };
  if (reading.listed?.ok) return { ...base, products: productRows(reading.listed.data, reading.copies) };
  return { ...base, products: previous, ...(reading.listed ? { productsError: reading.listed.error } : {}) };
}
