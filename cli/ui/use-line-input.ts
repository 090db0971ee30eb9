/**
 * The text of a one-line `ink-text-input` that is submitted with Enter, shared by every
 * prompt that has one (TextPrompt, ProductPicker, the console's LikePrompt).
 *
 * Enter can arrive before React has re-rendered with the last typed text (fast typing,
 * pastes), so `latest` holds the text as typed and a submit reads it from there, not from
 * `value`. A pasted "text + newline" arrives as one chunk: it is taken as typed, then as Enter.
 *
 * @example
 *   const line = useLineInput('', () => submit(), () => setProblem(undefined));
 *   const submit = () => onSubmit(line.latest.current.trim());
 *   <TextInput value={line.value} onChange={line.onChange} onSubmit={submit} />
 */
import { useRef, useState, type MutableRefObject } from 'react';

export interface LineInput {
  /** What the input shows. */
  value: string;
  /** The text as last typed, ahead of any re-render. */
  latest: MutableRefObject<string>;
  onChange: (next: string) => void;
}

/** `onEnter` runs when a newline arrives inside the text; `onEdit` after every change. */
export function useLineInput(initial: string, onEnter: () => void, onEdit?: () => void): LineInput {
  const [value, setValue] = useState(initial);
  const latest = useRef(initial);
  const onChange = (next: string) => {
    const [line, ...rest] = next.split(/[\r\n]/);
    latest.current = line;
    setValue(line);
    onEdit?.();
    if (rest.length > 0) onEnter();
  };
  return { value, latest, onChange };
}
