/** The last action's outcome (or the server's error message), one line, coloured by tone. */
import { Text } from 'ink';

import type { StatusLine } from './actions.js';

export interface StatusBarProps {
  status?: StatusLine;
}

const COLOR: Record<StatusLine['tone'], string | undefined> = { info: undefined, success: 'green', warning: 'yellow', error: 'red' };

export function StatusBar({ status }: StatusBarProps) {
  if (!status) return <Text> </Text>;
  return (
    <Text wrap="truncate" color={COLOR[status.tone]}>
      {status.tone === 'error' ? 'error: ' : ''}
      {status.text}
    </Text>
  );
}
