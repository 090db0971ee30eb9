/**
 * The logger writes one line per event to stderr; the line is captured at process.stderr.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createLogger } from './index.js';

let lines: string[];

beforeEach(() => {
  lines = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('createLogger', () => {
  it('writes a timestamped line with level, scope, message and fields', () => {
    vi.stubEnv('LOG_LEVEL', 'info');
    createLogger('library.grpc').info('listening', { address: '127.0.0.1:10009', note: 'two words', n: 3, skipped: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  \[library\.grpc\] listening address=127\.0\.0\.1:10009 note="two words" n=3\n$/);
  });

  it('shows an Error as its message only, never its stack', () => {
    vi.stubEnv('LOG_LEVEL', 'info');
    createLogger('x').error('failed', { error: new Error('disk full') });
    expect(lines[0]).toContain('error="disk full"');
    expect(lines[0]).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('names child scopes after their parent', () => {
    vi.stubEnv('LOG_LEVEL', 'info');
    createLogger('library').child('rest').warn('slow');
    expect(lines[0]).toContain('WARN  [library.rest] slow');
  });

  it('honours LOG_LEVEL at every write', () => {
    const log = createLogger('x');
    vi.stubEnv('LOG_LEVEL', 'warn');
    log.info('hidden');
    log.warn('shown');
    vi.stubEnv('LOG_LEVEL', 'silent');
    log.error('hidden too');
    vi.stubEnv('LOG_LEVEL', 'DEBUG');
    log.debug('debug shown');
    vi.stubEnv('LOG_LEVEL', 'nonsense');
    log.debug('hidden at the default, info');
    log.info('info shown');
    expect(lines.map((l) => l.replace(/^\S+ /, '').trim())).toEqual(['WARN  [x] shown', 'DEBUG [x] debug shown', 'INFO  [x] info shown']);
  });
});
