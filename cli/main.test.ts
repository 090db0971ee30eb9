/**
 * The command tree itself stays light: every command imports its heavy modules inside its
 * action, so `mgrpc --help` and the client commands start without loading the server side.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

describe('mgrpc command tree', () => {
  it('building it (and --help) loads no database, gRPC or HTTP server library', () => {
    // A fresh node process on the built CLI: what it loaded shows in require's cache (these libraries are CommonJS).
    const main = path.resolve(import.meta.dirname, '../dist/cli/main.js');
    const script = `
      import { createRequire } from 'node:module';
      const { buildProgram } = await import(${JSON.stringify(main)});
      const help = buildProgram().helpInformation();
      const loaded = Object.keys(createRequire(import.meta.url).cache).map((f) => /node_modules[/]((?:@[^/]+[/])?[^/]+)[/]/.exec(f)?.[1]).filter(Boolean);
      console.log(JSON.stringify({ listsRunserver: help.includes('runserver'), loaded: [...new Set(loaded)].sort() }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect(out.listsRunserver).toBe(true);
    for (const heavy of ['sequelize', 'sqlite3', 'pg', 'umzug', '@grpc/grpc-js', '@grpc/proto-loader', 'express', 'prom-client']) {
      expect(out.loaded, `loaded: ${out.loaded.join(', ')}`).not.toContain(heavy);
    }
  });
});
