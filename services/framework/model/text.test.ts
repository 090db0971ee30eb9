import { describe, expect, it } from 'vitest';

import { textProblem } from './text.js';

describe('textProblem', () => {
  it.each([
    ['Lamp', undefined],
    ['Smile 🙂 漢字 é', undefined],
    ['', undefined],
    ['   ', undefined],
    ['a\u00a0b', undefined],
    ['\ud800', 'contains an unpaired UTF-16 surrogate: send valid Unicode'],
    ['x\udfffy', 'contains an unpaired UTF-16 surrogate: send valid Unicode'],
    ['ring\u0007', 'contains the control character U+0007'],
    ['\u001b[31m', 'contains the control character U+001B'],
    ['a\u0000', 'contains the control character U+0000'],
    ['a\u0085', 'contains the control character U+0085'],
    ['tab\there', 'contains the control character U+0009'],
    ['\u200b', 'must contain a visible character'],
    ['\u200b \u202e\ufeff', 'must contain a visible character'],
    ['\u3164', 'must contain a visible character'],
  ])('%j: %s', (value, problem) => {
    expect(textProblem(value)).toBe(problem);
  });

  it('allows tab and line breaks in multiline fields only', () => {
    expect(textProblem('line one\r\nline two\tend', { multiline: true })).toBeUndefined();
    expect(textProblem('bell\u0007', { multiline: true })).toBe('contains the control character U+0007');
  });
});
