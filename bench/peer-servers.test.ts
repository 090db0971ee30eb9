/**
 * Installing a peer when the registry cannot be reached: `npm ci` really runs, in a throw-away
 * project whose one dependency resolves to a closed loopback port, and the error must carry
 * npm's own summary (not its stack frames) and say how to go on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { failureLines, installPeerDependencies } from './peer-servers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-peer-install-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('installing a peer', () => {
  it('fails with npm\'s summary and a way on when the registry cannot be reached', { timeout: 60_000 }, async () => {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'unreachable', private: true, dependencies: { 'left-pad': '1.3.0' } }));
    writeFileSync(
      path.join(dir, 'package-lock.json'),
      JSON.stringify({
        name: 'unreachable',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'unreachable', dependencies: { 'left-pad': '1.3.0' } },
          // Port 1 on loopback: nothing listens, the connection is refused at once.
          'node_modules/left-pad': { version: '1.3.0', resolved: 'http://127.0.0.1:1/left-pad/-/left-pad-1.3.0.tgz', integrity: `sha512-${'A'.repeat(86)}==` },
        },
      }),
    );
    // Its own cache (nothing cached can stand in) and no retries (they back off for seconds).
    const env = { ...process.env, npm_config_cache: path.join(dir, 'cache'), npm_config_fetch_retries: '0' };
    const failure = await installPeerDependencies(dir, env).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toBeDefined();
    expect(failure).toMatch(/npm ci .* failed in .* \(exit 1\)/);
    expect(failure).toMatch(/npm error code ECONNREFUSED/);
    expect(failure).toMatch(/request to http:\/\/127\.0\.0\.1:1\/left-pad\/-\/left-pad-1\.3\.0\.tgz failed/);
    expect(failure).toMatch(/run the bench without --peers, or point npm at a registry it can reach \(npm_config_registry\)/);
    // No stack frames, no dump of the error object.
    expect(failure).not.toMatch(/^npm error\s+at /m);
    expect(failure).not.toMatch(/^npm error\s+errno: /m);
  });

  it('keeps the last lines of any other failure as they are', () => {
    const output = ['src/main.ts(3,1): error TS2304: Cannot find name \'x\'.', ...Array.from({ length: 20 }, (_, i) => `line ${i + 1}`)].join('\n');
    expect(failureLines(output)).toEqual(Array.from({ length: 15 }, (_, i) => `line ${i + 6}`));
    expect(failureLines('src/main.ts(3,1): error TS2304: Cannot find name \'x\'.\n')).toEqual(["src/main.ts(3,1): error TS2304: Cannot find name 'x'."]);
  });
});
