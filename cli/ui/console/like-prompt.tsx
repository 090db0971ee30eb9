/**
 * Who likes the product: `r` (or Enter on an empty line) lets the product service pick a
 * random user; otherwise a typed or pasted user id and Enter. User ids are UUIDs, which
 * never contain an `r`, so the key cannot be mistaken for the start of an id.
 */
import { Box, Text, useInput } from 'ink';
import { useState } from 'react';

import { LineField } from '../line-field.js';
import { useLineInput } from '../use-line-input.js';

export interface LikePromptProps {
  title: string;
  /** A problem with a typed user id, or undefined when it is acceptable. */
  validate: (userId: string) => string | undefined;
  /** `undefined`: a random user. */
  onSubmit: (userId: string | undefined) => void;
  onCancel: () => void;
}

export function LikePrompt({ title, validate, onSubmit, onCancel }: LikePromptProps) {
  const [problem, setProblem] = useState<string>();
  const line = useLineInput('', {
    onEnter: () => submit(),
    onEdit: () => setProblem(undefined),
    // On an empty line, r likes as a random user.
    intercept: (chunk, text) => {
      if (text !== '' || (chunk !== 'r' && chunk !== 'R')) return false;
      onSubmit(undefined);
      return true;
    },
  });
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) onCancel();
  });
  const submit = () => {
    const id = line.latest.current.trim();
    if (id === '') return onSubmit(undefined);
    const found = validate(id);
    if (found) setProblem(found);
    else onSubmit(id);
  };
  return (
    <Box flexDirection="column">
      <Box flexShrink={0}>
        <Text color="cyan">? </Text>
        <Text bold>Like &apos;{title.length > 20 ? `${title.slice(0, 19)}…` : title}&apos; as: </Text>
        <LineField line={line} />
      </Box>
      {problem ? (
        <Text color="red" wrap="truncate">
          {problem}
        </Text>
      ) : (
        <Text dimColor wrap="truncate">
          r: a random user (the product service picks) · or a user id + enter · esc: cancel
        </Text>
      )}
    </Box>
  );
}
