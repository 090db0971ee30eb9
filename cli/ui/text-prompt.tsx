/**
 * One question with a text answer. Esc or Ctrl+C calls `onCancel`; Enter calls `onSubmit`
 * with the trimmed answer unless `validate` names a problem, which is shown instead.
 */
import { Box, Text, useInput } from 'ink';
import TextInput from 'ink-text-input';
import { useRef, useState } from 'react';

export interface TextPromptProps {
  /** The question, e.g. "Title of the new product". */
  label: string;
  placeholder?: string;
  /** The answer to start from (editing an existing value); empty by default. */
  initial?: string;
  /** A problem with the answer to show, or undefined when it is acceptable. */
  validate?: (value: string) => string | undefined;
  onSubmit: (value: string) => void;
  onCancel: () => void;
}

export function TextPrompt({ label, placeholder, initial = '', validate, onSubmit, onCancel }: TextPromptProps) {
  const [value, setValue] = useState(initial);
  const [problem, setProblem] = useState<string>();
  // Enter can arrive before React has re-rendered with the last typed text (fast typing,
  // pastes), so submit reads the latest text from here rather than from the input's props.
  const latest = useRef(initial);
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) onCancel();
  });
  const submit = () => {
    const answer = latest.current;
    const found = validate?.(answer);
    if (found) setProblem(found);
    else onSubmit(answer.trim());
  };
  return (
    <Box flexDirection="column">
      <Box flexShrink={0}>
        <Text color="cyan">? </Text>
        <Text bold>{label}: </Text>
        <TextInput
          value={value}
          placeholder={placeholder}
          onChange={(next) => {
            // A pasted "text + newline" arrives as one chunk: take it as typed, then Enter.
            const [line, ...rest] = next.split(/[\r\n]/);
            latest.current = line;
            setValue(line);
            setProblem(undefined);
            if (rest.length > 0) submit();
          }}
          onSubmit={submit}
        />
      </Box>
      {problem ? <Text color="red">{problem}</Text> : <Text dimColor>enter to confirm · esc to cancel</Text>}
    </Box>
  );
}
