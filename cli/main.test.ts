/**
 * The command tree itself stays light: every command imports its heavy modules inside its
 * action, so `mgrpc --help` and the client commands start without loading the server side.
 */
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { runScript } from '../test/support/loaded-packages.js';

describe('mgrpc command tree', () => {
  it('building it (and --help) loads no database, gRPC or HTTP server library', () => {
    // A fresh node process on the built CLI.
    const main = path.resolve(import.meta.dirname, '../dist/cli/main.js');
    const out = runScript<{ listsRunserver: boolean; loaded: string[] }>(`
      const { buildProgram } = await import(${JSON.stringify(main)});
      const help = buildProgram().helpInformation();
      console.log(JSON.stringify({ listsRunserver: help.includes('runserver'), loaded: loadedPackages() }));`);
    expect(out.listsRunserver).toBe(true);
    for (const heavy of ['sequelize', 'sqlite3', 'pg', '@grpc/grpc-js', '@grpc/proto-loader', 'express', 'prom-client']) {
      expect(out.loaded, `loaded: ${out.loaded.join(', ')}`).not.toContain(heavy);
    }
  });
});
