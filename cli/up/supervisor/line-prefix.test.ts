import { describe, expect, it } from 'vitest';

import { formatPrefix, LinePrefixer, useColor } from './line-prefix.js';

function collect(prefix = 'p | ', max?: number) {
  const writes: string[] = [];
  const prefixer = new LinePrefixer(prefix, (text) => writes.push(text), max);
  return { prefixer, writes, text: () => writes.join('') };
}

describe('LinePrefixer', () => {
  it('prefixes every line of a chunk', () => {
    const { prefixer, text } = collect();
    prefixer.push(Buffer.from('one\ntwo\n'));
    expect(text()).toBe('p | one\np | two\n');
  });

  it('holds a partial line until its newline arrives', () => {
    const { prefixer, writes, text } = collect();
    prefixer.push('hel');
    expect(writes).toEqual([]);
    prefixer.push('lo\nwor');
    expect(text()).toBe('p | hello\n');
    prefixer.push('ld\n');
    expect(text()).toBe('p | hello\np | world\n');
  });

  it('writes an unterminated last line at the end of the stream', () => {
    const { prefixer, text } = collect();
    prefixer.push('bye');
    prefixer.end();
    prefixer.end();
    expect(text()).toBe('p | bye\n');
  });

  it('keeps empty lines and drops the CR of CRLF', () => {
    const { prefixer, text } = collect();
    prefixer.push('a\r\n\nb\n');
    expect(text()).toBe('p | a\np | \np | b\n');
  });

  it('does not break a multi-byte character split across chunks', () => {
    const { prefixer, text } = collect();
    const bytes = Buffer.from('café ✓\n');
    prefixer.push(bytes.subarray(0, 4));
    prefixer.push(bytes.subarray(4, 8));
    prefixer.push(bytes.subarray(8));
    expect(text()).toBe('p | café ✓\n');
  });

  it('writes an endless line in bounded pieces', () => {
    const { prefixer, writes } = collect('p | ', 10);
    prefixer.push('x'.repeat(25));
    expect(writes.join('')).toBe(`p | ${'x'.repeat(10)}\np | ${'x'.repeat(10)}\n`);
    prefixer.push('\n');
    expect(writes.join('').endsWith('p | xxxxx\n')).toBe(true);
  });
});

describe('formatPrefix', () => {
  it('pads names to one width', () => {
    expect(formatPrefix('product', 14)).toBe('product        | ');
    expect(formatPrefix('dashboard_grpc', 14)).toBe('dashboard_grpc | ');
  });

  it('colours with ANSI only when asked', () => {
    expect(formatPrefix('product', 7, 0)).toBe('\x1b[36mproduct | \x1b[0m');
    expect(formatPrefix('product', 7, 1)).toContain('\x1b[33m');
  });
});

describe('useColor', () => {
  it('is on for a terminal unless NO_COLOR is set', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
  });
});
