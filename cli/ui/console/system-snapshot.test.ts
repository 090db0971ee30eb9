import { describe, expect, it } from 'vitest';

import type { Product } from '../../client/types.js';
import { productRows, serverHealth, type Probe } from './system-snapshot.js';

const product = (id: string, title: string, likes = 0): Product => ({ id, title, image: null, likes, created_at: '', updated_at: '' });
const copy = (id: string, title: string) => {
  const { likes: _likes, ...rest } = product(id, title);
  return rest;
};

describe('productRows', () => {
  it('synced when the product service has the same id and title, pending otherwise', () => {
    const rows = productRows([product('a', 'Pen', 2), product('b', 'Ink'), product('c', 'Paper')], [copy('a', 'Pen'), copy('b', 'Old ink')]);
    expect(rows.map((r) => [r.id, r.likes, r.sync])).toEqual([
      ['a', 2, 'synced'],
      ['b', 0, 'pending'],
      ['c', 0, 'pending'],
    ]);
  });

  it('unknown when the product service could not be asked', () => {
    expect(productRows([product('a', 'Pen')], undefined)[0].sync).toBe('unknown');
  });
});

const ok = (body: unknown): Probe => ({ status: 200, body });
const down: Probe = { unreachable: 'connection refused' };
const ready = (peer: string, state = 'ok'): Probe => ({
  status: state === 'ok' ? 200 : 503,
  body: { status: state === 'ok' ? 'ready' : 'not ready', checks: { database: 'ok', [peer]: state } },
});

describe('serverHealth', () => {
  it('all four up when both REST sides are alive and each reports its gRPC peer ok', () => {
    const health = serverHealth({
      dashboard: { healthz: ok({ status: 'ok' }), readyz: ready('product gRPC') },
      product: { healthz: ok({ status: 'ok' }), readyz: ready('dashboard gRPC') },
    });
    expect(Object.values(health).map((h) => h.state)).toEqual(['up', 'up', 'up', 'up']);
  });

  it("a gRPC server is down when its peer's readiness says so, with the reason", () => {
    const health = serverHealth({
      dashboard: { healthz: ok({ status: 'ok' }), readyz: ready('product gRPC', 'unavailable: cannot reach 127.0.0.1:1 (No connection established)') },
      product: { healthz: ok({ status: 'ok' }), readyz: ready('dashboard gRPC') },
    });
    expect(health.product_grpc).toEqual({ state: 'down', detail: 'unavailable: cannot reach 127.0.0.1:1 (No connection established)' });
    expect(health.dashboard).toEqual({ state: 'up' });
  });

  it('a REST server that does not answer is down, and the gRPC peer only it reports on is unknown', () => {
    const health = serverHealth({
      dashboard: { healthz: down, readyz: down },
      product: { healthz: ok({ status: 'ok' }), readyz: ready('dashboard gRPC') },
    });
    expect(health.dashboard).toEqual({ state: 'down', detail: 'connection refused' });
    expect(health.product_grpc.state).toBe('unknown');
    expect(health.dashboard_grpc.state).toBe('up');
  });

  it('a draining REST server counts as down', () => {
    const health = serverHealth({
      dashboard: { healthz: ok({ status: 'ok' }), readyz: { status: 503, body: { status: 'draining', checks: {} } } },
      product: { healthz: ok({ status: 'ok' }), readyz: ready('dashboard gRPC') },
    });
    expect(health.dashboard).toEqual({ state: 'down', detail: 'draining' });
    expect(health.product_grpc.state).toBe('unknown');
  });
});
