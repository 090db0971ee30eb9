/**
 * The state of a one-line input that is submitted with Enter, shared by every prompt that
 * has one (TextPrompt, ProductPicker, the console's LikePrompt), with <LineField> to show it.
 *
 * It reads what the terminal sends itself, as raw chunks (ink's input events), and edits
 * with line-editing.ts: a chunk can hold several keys (three Backspaces, text and Enter, a
 * paste), which ink's useInput hands over as one string that a text input would insert.
 * Enter can arrive before React has re-rendered with the last typed text, so `latest`
 * holds the line as typed and a submit reads it from there, not from `value`.
 *
 * @example
 *   const line = useLineInput('', { onEnter: () => submit(), onEdit: () => setProblem(undefined) });
 *   const submit = () => onSubmit(line.latest.current.trim());
 *   <LineField line={line} placeholder="a title" />
 */
import { useStdin } from 'ink';
import { useEffect, useRef, useState, type MutableRefObject } from 'react';

import { editLine, type Line } from './line-editing.js';

export interface LineInput {
  /** What the input shows. */
  value: string;
  /** Where the cursor is in `value`. */
  cursor: number;
  /** The text as last typed, ahead of any re-render. */
  latest: MutableRefObject<string>;
}

export interface LineInputOptions {
  /** Runs when Enter arrives (after the keys before it in the same chunk were applied). */
  onEnter: () => void;
  /** Runs after every change of the text. */
  onEdit?: () => void;
  /** Sees each chunk first, with the text so far; returns true to take it (nothing is edited). */
  intercept?: (chunk: string, text: string) => boolean;
  /** false while another part of the screen has the keyboard. */
  isActive?: boolean;
}

export function useLineInput(initial: string, options: LineInputOptions): LineInput {
  const [line, setLine] = useState<Line>({ text: initial, cursor: initial.length });
  const latest = useRef(initial);
  const current = useRef(line);
  const handlers = useRef(options);
  handlers.current = options;
  // ink's own input events: raw chunks, escape sequences already split off (useInput parses them).
  const { internal_eventEmitter: input, setRawMode } = useStdin();
  const active = options.isActive !== false;
  useEffect(() => {
    if (!active) return;
    setRawMode(true);
    const onInput = (chunk: string) => {
      if (handlers.current.intercept?.(chunk, current.current.text)) return;
      const edited = editLine(current.current, chunk);
      const changed = edited.line.text !== current.current.text;
      current.current = edited.line;
      latest.current = edited.line.text;
      setLine(edited.line);
      if (changed) handlers.current.onEdit?.();
      if (edited.entered) handlers.current.onEnter();
    };
    input.on('input', onInput);
    return () => {
      input.removeListener('input', onInput);
      setRawMode(false);
    };
  }, [active, input, setRawMode]);
  return { value: line.text, cursor: line.cursor, latest };
}
