/**
 * This process's Prometheus metrics, in a registry of its own (not prom-client's global one,
 * so tests and embedders can run several servers in one process):
 *   http_requests_total{method,route,status}, http_request_duration_seconds{method,route,status}
 *   grpc_server_handled_total{grpc_service,grpc_method,grpc_code,protocol},
 *   grpc_server_handling_seconds{grpc_service,grpc_method,grpc_code,protocol}
 *     (protocol: grpc on the gRPC port; connect or grpc-web for the same RPCs on the REST port)
 *   grpc_server_items_total{grpc_service,grpc_method,grpc_code} (items of batch calls, by their own status)
 *   mgrpc_outbox_pending{topic}, mgrpc_outbox_failed{topic} (read from the outbox table at scrape),
 *   mgrpc_outbox_deliveries_total{topic,outcome} (delivered | retry | failed)
 * plus prom-client's process metrics (CPU, memory, event loop lag, …), prefixed `process_`/`nodejs_`.
 * `route` is the route pattern (`/api/products/:lookup`), never the raw path, so its values stay few.
 *
 * @example
 *   const metrics = createMetrics({ service: 'dashboard', side: 'rest' });
 *   metrics.observeHttp('GET', '/api/products', 200, 0.004);
 *   res.type(metrics.contentType).send(await metrics.render());
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

import type { Logger } from '../logger.js';
import { CallTimings } from './call-timings.js';
import type { Outbox } from '../outbox/outbox.js';

/** Seconds; from sub-millisecond reads to calls that hit the 5 s default deadline. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type DeliveryResult = 'delivered' | 'retry' | 'failed';

export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string;
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** `path` is the gRPC method path, `/package.Service/Method`; `protocol` grpc (default), connect or grpc-web. */
  observeGrpc(path: string, code: string, seconds: number, protocol?: string): void;
  /** `n` items of one batch call answered with `code` (CallContext.countItem). */
  observeGrpcItems(path: string, code: string, n: number): void;
  observeDelivery(topic: string, result: DeliveryResult): void;
  /** Reports the outbox's queue depth at every scrape. */
  watchOutbox(outbox: Outbox, logger: Logger): void;
  render(): Promise<string>;
}

/** Splits `/package.Service/Method` into the labels grpc-ecosystem exporters use (once per method, see CallTimings). */
function grpcLabels(path: string): { grpc_service: string; grpc_method: string } {
  const [, service = 'unknown', method = 'unknown'] = path.split('/');
  return { grpc_service: service, grpc_method: method };
}

export function createMetrics(labels: { service: string; side: string }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: labels.service, side: labels.side });
  collectDefaultMetrics({ register: registry });

  // Observed on every request: counted and timed together (call-timings.ts).
  const http = new CallTimings<string, string, number>({
    counter: { name: 'http_requests_total', help: 'REST requests answered, by method, route pattern and status.' },
    histogram: { name: 'http_request_duration_seconds', help: 'Time from a REST request arriving to its response being sent.', buckets: LATENCY_BUCKETS },
    labelsOf: (method, route, status) => ({ method, route, status: String(status) }),
    registers: [registry],
  });
  const grpcCalls = new CallTimings<string, string, string>({
    counter: { name: 'grpc_server_handled_total', help: 'gRPC calls completed by this server, by method, status code and protocol.' },
    histogram: { name: 'grpc_server_handling_seconds', help: 'Time a gRPC call took from its request being decoded to its answer.', buckets: LATENCY_BUCKETS },
    labelsOf: (path, code, protocol) => ({ ...grpcLabels(path), grpc_code: code, protocol }),
    registers: [registry],
  });
  const grpcItems = new Counter({
    name: 'grpc_server_items_total',
    help: 'Items of batch calls (LikeProducts\' likes) answered by this server, by each item\'s own status code.',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
    registers: [registry],
  });
  const deliveries = new Counter({ name: 'mgrpc_outbox_deliveries_total', help: 'Outbox delivery attempts made by this process, by topic and outcome.', labelNames: ['topic', 'outcome'], registers: [registry] });

  return {
    registry,
    contentType: registry.contentType,
    observeHttp(method, route, status, seconds) {
      http.observe(method, route, status, seconds);
    },
    observeGrpc(path, code, seconds, protocol = 'grpc') {
      grpcCalls.observe(path, code, protocol, seconds);
    },
    observeGrpcItems(path, code, n) {
      grpcItems.inc({ ...grpcLabels(path), grpc_code: code }, n);
    },
    observeDelivery(topic, result) {
      deliveries.inc({ topic, outcome: result });
    },
    watchOutbox(outbox, logger) {
      const depth = (state: 'pending' | 'failed') =>
        async function collect(this: Gauge<'topic'>) {
          this.reset();
          try {
            const stats = await outbox.stats();
            // Every topic this process delivers has a series, 0 when empty: an alert on it
            // sees a value, not a missing series.
            for (const topic of outbox.topics()) this.set({ topic }, 0);
            for (const row of stats) if (row.state === state) this.set({ topic: row.topic }, row.count);
          } catch (err) {
            // A scrape during shutdown (database closed) shows no depth rather than failing the scrape.
            logger.debug('metrics: could not read the outbox stats', { error: err instanceof Error ? err.message : String(err) });
          }
        };
      new Gauge({ name: 'mgrpc_outbox_pending', help: 'Outbox entries waiting for delivery, by topic.', labelNames: ['topic'], registers: [registry], collect: depth('pending') });
      new Gauge({ name: 'mgrpc_outbox_failed', help: 'Outbox entries the receiver refused for good, by topic.', labelNames: ['topic'], registers: [registry], collect: depth('failed') });
    },
    render: () => registry.metrics(),
  };
}
