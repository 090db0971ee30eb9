import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { resetUpContext } from '../context/resolve.js';
import { DEFAULT_URLS, isUuid, parseNonEmpty, parseUuid, serviceUrls, withClientOptions, type ClientOptions } from './options.js';

function parse(args: string[], env: Record<string, string> = {}) {
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  const command = withClientOptions(new Command('list')).configureOutput({ writeErr: () => undefined }).action(() => undefined);
  command.parse(args, { from: 'user' });
  return command.opts<ClientOptions>();
}

/** The URLs a command would use, and where they came from. */
const urls = (args: string[], env: Record<string, string> = {}) => {
  const { dashboard, product } = serviceUrls(parse(args, env));
  return { dashboard: `${dashboard.value} from ${dashboard.from}`, product: `${product.value} from ${product.from}` };
};

// A directory with no running `up`, so no state file of this checkout's plays a part.
let nowhere: string;
beforeAll(() => {
  nowhere = mkdtempSync(path.join(tmpdir(), 'mgrpc-options-'));
  vi.spyOn(process, 'cwd').mockReturnValue(nowhere);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(nowhere, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
  resetUpContext();
});

describe('withClientOptions', () => {
  it('defaults to the tutorial ports, saying so', () => {
    vi.stubEnv('MGRPC_DASHBOARD_URL', undefined);
    vi.stubEnv('MGRPC_PRODUCT_URL', undefined);
    expect(urls([])).toEqual({
      dashboard: `${DEFAULT_URLS.dashboard} from the default, as no \`mgrpc up\` runs for ${nowhere}`,
      product: `${DEFAULT_URLS.product} from the default, as no \`mgrpc up\` runs for ${nowhere}`,
    });
  });

  it('takes the environment, and a flag over the environment, normalised without a trailing slash', () => {
    const env = { MGRPC_DASHBOARD_URL: 'http://dash.example:9000/', MGRPC_PRODUCT_URL: 'http://prod.example:9001' };
    expect(urls([], env)).toEqual({ dashboard: 'http://dash.example:9000 from MGRPC_DASHBOARD_URL', product: 'http://prod.example:9001 from MGRPC_PRODUCT_URL' });
    expect(urls(['--dashboard', 'https://d.example/base/', '--json'], env)).toEqual({
      dashboard: 'https://d.example/base from --dashboard',
      product: 'http://prod.example:9001 from MGRPC_PRODUCT_URL',
    });
    expect(parse(['--json'], env).json).toBe(true);
    expect(() => urls([], { MGRPC_DASHBOARD_URL: 'localhost:10008' })).toThrow(/^MGRPC_DASHBOARD_URL=localhost:10008: expected an http\(s\) URL/);
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
