import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { CallTimings } from './call-timings.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations through prom-client's own Counter + Histogram and through CallTimings. */
function both(observations: [string, string, number, number][]) {
  const theirs = new Registry();
  const ours = new Registry();
  for (const registry of [theirs, ours]) registry.setDefaultLabels({ service: 'svc', side: 'rest' });
  const total = new Counter({ name: 'x_requests_total', help: 'Requests.', labelNames: ['method', 'route', 'status'], registers: [theirs] });
  const seconds = new Histogram({ name: 'x_request_seconds', help: 'Time "taken"\\n.', labelNames: ['method', 'route', 'status'], buckets: BUCKETS, registers: [theirs] });
  const timings = new CallTimings<string, string, number>({
    counter: { name: 'x_requests_total', help: 'Requests.' },
    histogram: { name: 'x_request_seconds', help: 'Time "taken"\\n.', buckets: [...BUCKETS].reverse() },
    labelsOf: (method, route, status) => ({ method, route, status: String(status) }),
    registers: [ours],
  });
  for (const [method, route, status, value] of observations) {
    const labels = { method, route, status: String(status) };
    total.inc(labels);
    seconds.observe(labels, value);
    timings.observe(method, route, status, value);
  }
  return { theirs, ours };
}

// Every bucket, a value on a bound, one past the last bound, label values that need escaping.
const OBSERVATIONS: [string, string, number, number][] = [
  ['GET', '/api/products', 200, 0.0004],
  ['GET', '/api/products', 200, 0.001],
  ['GET', '/api/products', 200, 0.05],
  ['POST', '/api/products', 201, 0.5],
  ['GET', '/api/products', 404, 7],
  ['GET', '/a "quoted" \\ route\nnext', 200, 0.002],
  ['POST', '/api/products', 201, 0],
];

describe('CallTimings', () => {
  it('renders exactly what prom-client\'s Counter and Histogram render for the same observations', async () => {
    const { theirs, ours } = both(OBSERVATIONS);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await ours.metrics()).toContain('x_requests_total{method="GET",route="/api/products",status="200",service="svc",side="rest"} 3');
  });

  it('renders nothing before the first observation, and forgets everything on reset', async () => {
    const { theirs, ours } = both([]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    const filled = both(OBSERVATIONS);
    filled.ours.resetMetrics();
    filled.theirs.resetMetrics();
    expect(await filled.ours.metrics()).toBe(await filled.theirs.metrics());
  });
});
