/**
 * The servers' bundle gives Sequelize a moment-timezone whose zone data is read on first use
 * (moment-timezone.cjs): a start with the framework's offset timezone never reads it, a named
 * zone is converted as the library always did. Needs `npm run build` for the bundle checks.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const BUNDLE = path.join(import.meta.dirname, '../../dist/bundle/mgrpc.cjs');

type Moment = {
  (input?: unknown): { tz(name: string): { format(f: string): string }; utcOffset(o: string): { format(f: string): string } };
  tz: ((input: string, zone: string) => { utc(): { format(f: string): string } }) & { zone(name: string): { name: string } | null; names(): string[]; __zonesLoaded(): boolean };
};

function freshShim(): Moment {
  // Each test its own copy of the shim and of the library, so "not loaded yet" means this test's.
  for (const key of Object.keys(require.cache)) if (key.includes('moment-timezone')) delete require.cache[key];
  return require('./moment-timezone.cjs') as Moment;
}

describe('moment-timezone with its zone data read on first use', () => {
  it('answers an offset, as Sequelize asks on every DATE it writes, without reading the data', () => {
    const moment = freshShim();
    expect(moment.tz.zone('+00:00')).toBeNull();
    expect(moment('2026-07-01T12:00:00Z').utcOffset('+00:00').format('YYYY-MM-DD HH:mm:ss.SSS Z')).toBe('2026-07-01 12:00:00.000 +00:00');
    expect(moment.tz.__zonesLoaded()).toBe(false);
  });

  it('reads the data for a named zone and converts as the library always did', () => {
    const moment = freshShim();
    expect(moment.tz.zone('Europe/Paris')?.name).toBe('Europe/Paris');
    expect(moment.tz.__zonesLoaded()).toBe(true);
    expect(moment.tz.names()).toContain('America/New_York');
  });

  it('reads it for the other ways in: moment.tz(…, zone) and moment().tz(zone)', () => {
    let moment = freshShim();
    expect(moment.tz('2026-01-15 09:00', 'America/New_York').utc().format('HH:mm')).toBe('14:00');
    moment = freshShim();
    expect(moment('2026-07-01T12:00:00Z').tz('Asia/Tokyo').format('HH:mm')).toBe('21:00');
  });

  it('is what the bundle holds: no zone data inside, and the data found from where the bundle is', () => {
    const bundle = readFileSync(BUNDLE, 'latin1');
    expect(bundle).toContain('__zonesLoaded');
    expect(bundle).not.toContain('America/New_York|');
    const fromBundle = createRequire(BUNDLE);
    const sequelizeDir = path.dirname(fromBundle.resolve('sequelize/package.json'));
    expect(require(fromBundle.resolve('moment-timezone/data/packed/latest.json', { paths: [sequelizeDir] })).zones.length).toBeGreaterThan(100);
  });

  it('leaves the bundle ASCII, so the server reads it as latin1 text', () => {
    const bytes = readFileSync(BUNDLE);
    expect(bytes.findIndex((byte) => byte > 0x7f)).toBe(-1);
    expect(bytes.subarray(0, 80).toString('latin1')).toMatch(/^\(function \(exports, require, module, __filename, __dirname\) \{/);
  });
});
