/**
 * Health and readiness of the real system (four processes from dist/, loopback ports,
 * SQLite in a temp dir): grpc.health.v1 on both gRPC servers, /healthz and /readyz on both
 * REST servers, /readyz naming a stopped peer and recovering when it is back, and a
 * SIGTERMed gRPC server exiting 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createClient, healthService } from '../../services/framework/index.js';
import { http, startSystem, type RunningSystem } from '../support/system.js';

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem({ env: { LOG_LEVEL: 'info' } });
});

afterAll(async () => {
  await system?.close();
});

type HealthClient = { Check(request: { service: string }): Promise<{ status: string }>; close(): void };

async function healthOf(target: string, service: string): Promise<string> {
  const client = createClient(healthService(), target, { name: 'health', deadlineMs: 3000 }) as unknown as HealthClient;
  try {
    return (await client.Check({ service })).status;
  } finally {
    client.close();
  }
}

/** Polls GET url until its status is `status` (bounded), returning the last response. */
async function pollStatus(url: string, status: number) {
  let last = await http('GET', url);
  for (let i = 0; i < 40 && last.status !== status; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await http('GET', url);
  }
  return last;
}

describe('health and readiness of the running system', () => {
  it('both gRPC servers report SERVING for the server and each of their services', async () => {
    expect(await healthOf(system.dashboardGrpc, '')).toBe('SERVING');
    expect(await healthOf(system.dashboardGrpc, 'product.ProductService')).toBe('SERVING');
    expect(await healthOf(system.dashboardGrpc, 'user.UserService')).toBe('SERVING');
    expect(await healthOf(system.productGrpc, '')).toBe('SERVING');
    expect(await healthOf(system.productGrpc, 'product_receiver.ProductReceiverService')).toBe('SERVING');
  });

  it('/healthz and /readyz are 200 with every check ok when all is up', async () => {
    expect(await http('GET', `${system.dashboardUrl}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await http('GET', `${system.dashboardUrl}/readyz`)).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', 'product gRPC': 'ok' } },
    });
    expect(await http('GET', `${system.productUrl}/readyz`)).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', 'dashboard gRPC': 'ok' } },
    });
  });

  it('/readyz is 503 naming the stopped peer, /healthz stays 200, and it recovers when the peer is back', async () => {
    expect(await system.stop('product_grpc')).toBe(0);
    const down = await http('GET', `${system.dashboardUrl}/readyz`);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('not ready');
    expect(down.body.checks.database).toBe('ok');
    expect(down.body.checks['product gRPC']).toMatch(new RegExp(`^unavailable: cannot reach ${system.productGrpc} `));
    expect(await http('GET', `${system.dashboardUrl}/healthz`)).toMatchObject({ status: 200 });
    // The other service does not depend on it.
    expect((await http('GET', `${system.productUrl}/readyz`)).status).toBe(200);

    await system.start('product_grpc');
    expect(await pollStatus(`${system.dashboardUrl}/readyz`, 200)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });
});
