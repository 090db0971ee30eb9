/**
 * One question with a text answer. Esc or Ctrl+C calls `onCancel`; Enter calls `onSubmit`
 * with the trimmed answer unless `validate` names a problem, which is shown instead.
 */
import { Box, Text, useInput } from 'ink';
import { useState } from 'react';

import { LineField } from './line-field.js';
import { useLineInput } from './use-line-input.js';

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
  const [problem, setProblem] = useState<string>();
  const line = useLineInput(initial, { onEnter: () => submit(), onEdit: () => setProblem(undefined) });
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) onCancel();
  });
  const submit = () => {
    const answer = line.latest.current;
    const found = validate?.(answer);
    if (found) setProblem(found);
    else onSubmit(answer.trim());
  };
  return (
    <Box flexDirection="column">
      <Box flexShrink={0}>
        <Text color="cyan">? </Text>
        <Text bold>{label}: </Text>
        <LineField line={line} placeholder={placeholder} />
      </Box>
      {problem ? <Text color="red">{problem}</Text> : <Text dimColor>enter to confirm · esc to cancel</Text>}
    </Box>
  );
}
