import { describe, expect, it } from 'vitest';

import type { Product } from '../../client/types.js';
import { productRows, serverHealth, systemSnapshot, type Probe, type SystemReading } from './system-snapshot.js';

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

describe('systemSnapshot', () => {
  const servers = serverHealth({ dashboard: { healthz: { unreachable: 'x' }, readyz: { unreachable: 'x' } }, product: { healthz: { unreachable: 'x' }, readyz: { unreachable: 'x' } } });
  const streamed = [product('a', 'Pen', 7), product('b', 'Ink')];
  const listed: SystemReading = { servers, copies: [copy('a', 'Pen')], listed: { ok: true, data: [product('a', 'Pen', 5)] } };

  it("while the stream is live, the rows are the stream's, with the product service's copies", () => {
    const snapshot = systemSnapshot({ servers, copies: [copy('a', 'Pen')] }, { status: { state: 'live' }, products: streamed }, undefined);
    expect(snapshot.products?.map((r) => [r.id, r.likes, r.sync])).toEqual([
      ['a', 7, 'synced'],
      ['b', 0, 'pending'],
    ]);
    expect(snapshot.stream).toEqual({ state: 'live' });
    expect(snapshot.productsError).toBeUndefined();
  });

  it("while it is down, the dashboard's list; the last rows, flagged, when that failed too", () => {
    const down = { status: { state: 'down' as const, reason: 'UNAVAILABLE: gone', retryMs: 500 }, products: streamed };
    expect(systemSnapshot(listed, down, undefined).products?.map((r) => r.likes)).toEqual([5]);
    const previous = productRows(streamed, undefined);
    const failed = systemSnapshot({ servers, listed: { ok: false, error: 'cannot reach the dashboard' } }, down, previous);
    expect(failed.products).toBe(previous);
    expect(failed.productsError).toBe('cannot reach the dashboard');
    expect(failed.stream).toEqual(down.status);
  });

  it('without a stream (a project without WatchProducts), the list, and no stream state', () => {
    const snapshot = systemSnapshot(listed, undefined, undefined);
    expect(snapshot.products?.map((r) => r.likes)).toEqual([5]);
    expect('stream' in snapshot).toBe(false);
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
