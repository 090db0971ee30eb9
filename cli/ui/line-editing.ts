/**
 * The line editing of every one-line input in `mgrpc ui`, as pure functions over what the
 * terminal sends: one read can hold several keys (three Backspaces, text then Enter, a paste),
 * so a chunk is split into keys first and each key is applied in turn.
 *
 * Keys, as in a shell's readline: Backspace (DEL or ^H), Delete, Left/Right (^B/^F),
 * Home/End (^A/^E), ^U deletes to the start of the line, ^K to its end, ^W the word
 * before the cursor; Enter submits. Other control keys and escape sequences (arrows up and
 * down, Esc, Tab) are left to the prompt around the input.
 *
 * @example
 *   editLine({ text: 'abcdef', cursor: 6 }, '\x7f\x7f\x7f'); // { line: { text: 'abc', cursor: 3 }, entered: false }
 */

export interface Line {
  text: string;
  /** Where the next character goes: 0 (before the first) to text.length (after the last). */
  cursor: number;
}

// An escape sequence (CSI `ESC [ … final`, SS3 `ESC O x`, or ESC and one character), one
// control character, or a run of printable text.
const KEY = /\x1b\[[0-?]*[ -/]*[@-~]|\x1bO.|\x1b[\s\S]?|[\x00-\x1f\x7f]|[^\x00-\x1f\x7f\x1b]+/g;

/** The keys in a chunk read from the terminal, in order. */
export function splitKeys(chunk: string): string[] {
  return chunk.match(KEY) ?? [];
}

const HOME = new Set(['\x01', '\x1b[H', '\x1bOH', '\x1b[1~', '\x1b[7~']);
const END = new Set(['\x05', '\x1b[F', '\x1bOF', '\x1b[4~', '\x1b[8~']);
const LEFT = new Set(['\x02', '\x1b[D', '\x1bOD']);
const RIGHT = new Set(['\x06', '\x1b[C', '\x1bOC']);

/** The line after one key; `entered` when the key was Enter. */
export function applyKey(line: Line, key: string): { line: Line; entered: boolean } {
  const { text, cursor } = line;
  const at = (next: string, nextCursor: number) => ({ line: { text: next, cursor: nextCursor }, entered: false });
  if (key === '\r' || key === '\n') return { line, entered: true };
  if (key === '\x7f' || key === '\b') return cursor === 0 ? at(text, 0) : at(text.slice(0, cursor - 1) + text.slice(cursor), cursor - 1);
  if (key === '\x1b[3~' || key === '\x04') return at(text.slice(0, cursor) + text.slice(cursor + 1), cursor);
  if (key === '\x15') return at(text.slice(cursor), 0);
  if (key === '\x0b') return at(text.slice(0, cursor), cursor);
  if (key === '\x17') {
    const start = text.slice(0, cursor).replace(/\S+\s*$|\s+$/, '').length;
    return at(text.slice(0, start) + text.slice(cursor), start);
  }
  if (HOME.has(key)) return at(text, 0);
  if (END.has(key)) return at(text, text.length);
  if (LEFT.has(key)) return at(text, Math.max(0, cursor - 1));
  if (RIGHT.has(key)) return at(text, Math.min(text.length, cursor + 1));
  if (/^[^\x00-\x1f\x7f\x1b]/.test(key)) return at(text.slice(0, cursor) + key + text.slice(cursor), cursor + key.length);
  return at(text, cursor);
}

/** Applies every key of `chunk` up to and including the first Enter (what follows it is dropped). */
export function editLine(line: Line, chunk: string): { line: Line; entered: boolean } {
  let current = line;
  for (const key of splitKeys(chunk)) {
    const next = applyKey(current, key);
    if (next.entered) return next;
    current = next.line;
  }
  return { line: current, entered: false };
}
