/**
 * The metrics port of a gRPC process: a small HTTP server with `GET /metrics` (Prometheus
 * text) and nothing else, since a gRPC port cannot answer a Prometheus scrape.
 * Where it listens (`metricsPortFor`): `<SERVICE>_METRICS_PORT` (e.g. DASHBOARD_METRICS_PORT,
 * for processes that share one environment), else `MGRPC_METRICS_PORT`, else the gRPC port
 * + 1000 (dashboard 10009 -> 11009, product 10006 -> 11006); `off` or `0` disables it.
 * A port that was asked for must be free (start-up fails otherwise); the default one is
 * skipped with a warning when taken, since metrics are not worth refusing to serve.
 */
import http from 'node:http';

import type { Metrics } from './metrics.js';

export const METRICS_PORT_ENV = 'MGRPC_METRICS_PORT';
export const METRICS_PORT_OFFSET = 1000;

export interface MetricsPort {
  port: number;
  /** Whether it was configured (a bind failure is then an error) or the default. */
  explicit: boolean;
}

/** The metrics port of a gRPC process, or undefined when disabled. Throws on a malformed value. */
export function metricsPortFor(service: string, grpcPort: number, env: NodeJS.ProcessEnv = process.env): MetricsPort | undefined {
  const own = `${service.toUpperCase().replace(/-/g, '_')}_METRICS_PORT`;
  for (const name of [own, METRICS_PORT_ENV]) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    if (raw.toLowerCase() === 'off' || raw === '0') return undefined;
    const port = Number(raw);
    if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new Error(`${name} must be a port number (1-65535) or off, got '${raw}'`);
    return { port, explicit: true };
  }
  const port = grpcPort + METRICS_PORT_OFFSET;
  return grpcPort > 0 && port <= 65535 ? { port, explicit: false } : undefined;
}

export interface RunningMetricsServer {
  port: number;
  close(): Promise<void>;
}

function answer(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify({ code, message }));
}

export async function startMetricsServer(options: { host: string; port: number; metrics: Metrics }): Promise<RunningMetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return answer(res, 404, 'NOT_FOUND', `no route for ${req.method} ${path.slice(0, 200)}; metrics are at GET /metrics`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /metrics; use GET`, { allow: 'GET' });
    options.metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': options.metrics.contentType }).end(req.method === 'HEAD' ? undefined : text),
      () => answer(res, 500, 'INTERNAL', 'internal error'),
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
