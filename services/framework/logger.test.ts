/**
 * The logger writes one line per event to stderr; the line is captured at process.stderr.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createLogger, logFormat, runWithRequestId } from './index.js';

let lines: string[];

beforeEach(() => {
  // The pretty format is what these tests read; json has its own tests below.
  vi.stubEnv('LOG_FORMAT', 'pretty');
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

describe('createLogger in json format', () => {
  it('writes one JSON object per line with time, level, service, scope, msg and the fields', () => {
    vi.stubEnv('LOG_LEVEL', 'info');
    vi.stubEnv('LOG_FORMAT', 'json');
    createLogger('library.grpc').warn('slow call', { method: '/library.Library/GetBook', ms: 12, error: new Error('disk full'), skipped: undefined, msg: 'a field' });
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('}\n')).toBe(true);
    expect(lines[0].trimEnd()).not.toContain('\n');
    const line = JSON.parse(lines[0]);
    expect(Object.keys(line).slice(0, 5)).toEqual(['time', 'level', 'service', 'scope', 'msg']);
    expect(line).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      level: 'warn',
      service: 'library',
      scope: 'library.grpc',
      msg: 'slow call',
      method: '/library.Library/GetBook',
      ms: 12,
      error: 'disk full',
      field_msg: 'a field',
    });
  });

  it('adds the current request id, in either format', () => {
    vi.stubEnv('LOG_LEVEL', 'info');
    vi.stubEnv('LOG_FORMAT', 'json');
    const log = createLogger('x');
    runWithRequestId('req-1', () => log.info('inside'));
    log.info('outside');
    expect(JSON.parse(lines[0]).request_id).toBe('req-1');
    expect(JSON.parse(lines[1])).not.toHaveProperty('request_id');
    vi.stubEnv('LOG_FORMAT', 'pretty');
    runWithRequestId('req-2', () => log.info('inside'));
    expect(lines[2]).toMatch(/\[x\] inside request_id=req-2\n$/);
  });

  it('LOG_FORMAT picks the format; otherwise pretty at a terminal and json elsewhere', () => {
    expect(logFormat({ LOG_FORMAT: 'JSON' })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' })).toBe('pretty');
    const tty = process.stderr.isTTY;
    try {
      process.stderr.isTTY = true;
      expect(logFormat({})).toBe('pretty');
      process.stderr.isTTY = false;
      expect(logFormat({ LOG_FORMAT: 'nonsense' })).toBe('json');
    } finally {
      process.stderr.isTTY = tty;
    }
  });
});
