import { describe, expect, it } from 'vitest';

import { applyKey, editLine, splitKeys, type Line } from './line-editing.js';

const at = (text: string, cursor = text.length): Line => ({ text, cursor });
const typed = (line: Line, ...chunks: string[]) => chunks.reduce((current, chunk) => editLine(current, chunk).line, line);

describe('splitKeys', () => {
  it('splits a chunk into keys: control characters, escape sequences, runs of text', () => {
    expect(splitKeys('\x7f\x7f\x7f')).toEqual(['\x7f', '\x7f', '\x7f']);
    expect(splitKeys('ab\x15cd\r')).toEqual(['ab', '\x15', 'cd', '\r']);
    expect(splitKeys('\x1b[D\x1b[3~x\x1bOH')).toEqual(['\x1b[D', '\x1b[3~', 'x', '\x1bOH']);
    expect(splitKeys('héllo wörld ✓')).toEqual(['héllo wörld ✓']);
  });
});

describe('editLine', () => {
  it('applies every Backspace of a chunk, never inserting DEL', () => {
    expect(editLine(at('abcdef'), '\x7f\x7f\x7f')).toEqual({ line: at('abc'), entered: false });
    expect(typed(at('ab'), '\b\b\b\b')).toEqual(at(''));
  });

  it('Ctrl-U deletes to the start of the line, Ctrl-K to its end, Ctrl-W the word before the cursor', () => {
    expect(typed(at('a title'), '\x15')).toEqual(at(''));
    expect(typed(at('a title', 2), '\x15')).toEqual(at('title', 0));
    expect(typed(at('a title', 2), '\x0b')).toEqual(at('a ', 2));
    expect(typed(at('red pencil  '), '\x17')).toEqual(at('red '));
    expect(typed(at('red pencil'), '\x17\x17')).toEqual(at(''));
  });

  it('moves with Left/Right, Home/End and Ctrl-A/Ctrl-E, inserts and deletes at the cursor', () => {
    expect(typed(at('pencl'), '\x1b[D', 'i')).toEqual(at('pencil', 5));
    expect(typed(at('encil'), '\x01', 'p')).toEqual(at('pencil', 1));
    expect(typed(at('pencil', 0), '\x05', 's')).toEqual(at('pencils'));
    expect(typed(at('xpencil'), '\x1b[H', '\x1b[3~')).toEqual(at('pencil', 0));
    expect(typed(at('pencil'), '\x1b[F', '\x1b[C', '\x1b[C')).toEqual(at('pencil'));
    expect(typed(at('pencil', 0), '\x1b[D', '\x7f')).toEqual(at('pencil', 0));
    expect(typed(at('pen'), '\x1bOH', '\x1bOC', '\x1b[3~')).toEqual(at('pn', 1));
  });

  it('stops at Enter: text before it in the chunk is typed, what follows is dropped', () => {
    expect(editLine(at(''), 'Mechanical pencil\rmore')).toEqual({ line: at('Mechanical pencil'), entered: true });
    expect(editLine(at('x'), '\n')).toEqual({ line: at('x'), entered: true });
  });

  it('ignores keys it does not edit with (Esc, Tab, arrows up and down, other control keys)', () => {
    for (const key of ['\x1b', '\t', '\x1b[A', '\x1b[B', '\x07', '\x1b[15~']) expect(applyKey(at('ab', 1), key)).toEqual({ line: at('ab', 1), entered: false });
  });
});
