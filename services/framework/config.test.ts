import { describe, expect, it } from 'vitest';

import { envInt, formatAddress, parseListenAddress } from './index.js';

const fallback = { host: '127.0.0.1', port: 10008 };

describe('parseListenAddress', () => {
  it.each([
    ['8000', { host: '127.0.0.1', port: 8000 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:9000', { host: '0.0.0.0', port: 9000 }],
    ['localhost:10009', { host: 'localhost', port: 10009 }],
    ['[::1]:10009', { host: '::1', port: 10009 }],
    ['[::]:80', { host: '::', port: 80 }],
    [':7000', { host: '127.0.0.1', port: 7000 }],
    ['65535', { host: '127.0.0.1', port: 65535 }],
  ])("accepts '%s'", (value, expected) => {
    expect(parseListenAddress(value, fallback)).toEqual(expected);
  });

  it('falls back when nothing is given', () => {
    expect(parseListenAddress(undefined, fallback)).toBe(fallback);
    expect(parseListenAddress('', fallback)).toBe(fallback);
  });

  it.each(['garbage', 'localhost', '::1:80', '[::1]', '1:2:3', '65536', '-1', '80 ', 'host:port', '[::1]80', '8000x'])("refuses '%s', showing the accepted forms", (value) => {
    expect(() => parseListenAddress(value, fallback)).toThrow(
      `invalid address '${value}': expected PORT, HOST:PORT or [IPV6]:PORT (for example 127.0.0.1:10008)`,
    );
  });

  it('round-trips through formatAddress', () => {
    for (const value of ['127.0.0.1:8000', '[::1]:10009', 'localhost:1']) expect(formatAddress(parseListenAddress(value, fallback))).toBe(value);
  });
});

describe('envInt', () => {
  it('reads a positive integer or falls back', () => {
    expect(envInt('N', 5, { N: '12' })).toBe(12);
    expect(envInt('N', 5, {})).toBe(5);
    expect(envInt('N', 5, { N: '' })).toBe(5);
  });

  it.each(['0', '-1', '1.5', 'ten'])("refuses '%s', naming the variable", (raw) => {
    expect(() => envInt('WORKERS', 5, { WORKERS: raw })).toThrow(`WORKERS must be a positive integer, got '${raw}'`);
  });
});
