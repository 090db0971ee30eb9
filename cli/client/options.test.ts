import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { DEFAULT_URLS, isUuid, parseNonEmpty, parseUuid, withClientOptions } from './options.js';

function parse(args: string[], env: Record<string, string> = {}) {
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  const command = withClientOptions(new Command('list')).configureOutput({ writeErr: () => undefined }).action(() => undefined);
  command.parse(args, { from: 'user' });
  return command.opts();
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('withClientOptions', () => {
  it('defaults to the tutorial ports', () => {
    vi.stubEnv('MGRPC_DASHBOARD_URL', undefined);
    vi.stubEnv('MGRPC_PRODUCT_URL', undefined);
    expect(parse([])).toEqual({ ...DEFAULT_URLS });
  });

  it('takes the environment, and a flag over the environment, normalised without a trailing slash', () => {
    const env = { MGRPC_DASHBOARD_URL: 'http://dash.example:9000/', MGRPC_PRODUCT_URL: 'http://prod.example:9001' };
    expect(parse([], env)).toMatchObject({ dashboard: 'http://dash.example:9000', product: 'http://prod.example:9001' });
    expect(parse(['--dashboard', 'https://d.example/base/', '--json'], env)).toMatchObject({
      dashboard: 'https://d.example/base',
      json: true,
    });
  });

  it.each([['foo'], ['localhost:10008'], ['ftp://x.example'], ['http://x.example/?q=1']])('refuses %s as a URL (exit code 1 -> 2 in main)', (url) => {
    expect(() => parse(['--dashboard', url])).toThrow(CommanderError);
    expect(() => parse(['--dashboard', url])).toThrow(/expected/);
  });
});

describe('value parsers', () => {
  it('parseUuid trims and lower-cases, refuses anything else', () => {
    expect(parseUuid(' 3F2B8C1E-6F1D-4C8E-9A57-1B2C3D4E5F60 ')).toBe('3f2b8c1e-6f1d-4c8e-9a57-1b2c3d4e5f60');
    expect(() => parseUuid('42')).toThrow('expected a UUID');
    expect(isUuid('nope')).toBe(false);
  });

  it('parseNonEmpty refuses blank text', () => {
    expect(parseNonEmpty(' Pen ')).toBe(' Pen ');
    expect(() => parseNonEmpty('  ')).toThrow('must not be empty');
  });
});
