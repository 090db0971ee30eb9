/** Shows a useLineInput line: its text with the cursor as an inverse cell, or a grey placeholder. */
import { Text } from 'ink';

import type { LineInput } from './use-line-input.js';

export interface LineFieldProps {
  line: LineInput;
  placeholder?: string;
}

export function LineField({ line, placeholder }: LineFieldProps) {
  const { value, cursor } = line;
  if (value === '' && placeholder) {
    return (
      <Text>
        <Text inverse>{placeholder.charAt(0)}</Text>
        <Text color="gray">{placeholder.slice(1)}</Text>
      </Text>
    );
  }
  return (
    <Text>
      {value.slice(0, cursor)}
      <Text inverse>{value.charAt(cursor) || ' '}</Text>
      {value.slice(cursor + 1)}
    </Text>
  );
}
