/**
 * Each server process loads what its side needs: importing the framework and the services
 * (as every server does) loads neither express nor @grpc/reflection; a REST app loads express,
 * a gRPC server reflection. Each costs a noticeable share of a cold start. grpc-health-check
 * is never loaded: the health service's definition is built from its JSON descriptor
 * (health/health-definition.ts).
 */
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { runScript } from '../../test/support/loaded-packages.js';

const dist = path.resolve(import.meta.dirname, '../../dist');

/** Runs `body` in a fresh node process after importing the framework and both services; returns the packages loaded before and after it. */
function loadedAround(body: string): { before: string[]; after: string[] } {
  return runScript(
    `
    const framework = await import(${JSON.stringify(path.join(dist, 'services/framework/index.js'))});
    await import(${JSON.stringify(path.join(dist, 'services/dashboard/index.js'))});
    await import(${JSON.stringify(path.join(dist, 'services/product/index.js'))});
    const before = loadedPackages();
    ${body}
    console.log(JSON.stringify({ before, after: loadedPackages() }));
    process.exit(0);`,
    { ...process.env, LOG_LEVEL: 'warn' },
  );
}

describe('what each side loads', () => {
  it('importing the framework and the services loads neither express, @grpc/reflection nor grpc-health-check', () => {
    const { before } = loadedAround('');
    expect(before).toContain('@grpc/grpc-js');
    expect(before).toContain('sequelize');
    expect(before).not.toContain('express');
    expect(before).not.toContain('@grpc/reflection');
    expect(before).not.toContain('grpc-health-check');
    expect(before).not.toContain('swagger-ui-dist');
  });

  it('a REST app loads express; a gRPC server loads reflection; neither loads grpc-health-check, even to serve or ask health', async () => {
    const app = `
      const readiness = framework.createReadiness({ peers: [{ name: 'dashboard gRPC', target: '127.0.0.1:1' }], timeoutMs: 300 });
      framework.createRestApp({ api: framework.Router(), logger: framework.createLogger('t'), readiness });`;
    const rest = loadedAround(app);
    expect(rest.after).toContain('express');
    expect(rest.after).toContain('swagger-ui-dist');
    expect(rest.after).not.toContain('grpc-health-check');
    const asked = loadedAround(`${app}\n      if ((await readiness.report()).status !== 'not ready') throw new Error('a peer that is down was reported ready');`);
    expect(asked.after).not.toContain('grpc-health-check');
    const grpc = loadedAround(`
      const running = await framework.startGrpcServer({ services: [], host: '127.0.0.1', port: 0, logger: framework.createLogger('t') });
      await running.close(0);`);
    expect(grpc.after).toContain('@grpc/reflection');
    expect(grpc.after).not.toContain('grpc-health-check');
    expect(grpc.after).not.toContain('express');
    expect(grpc.after).not.toContain('swagger-ui-dist');
  });
});
