/** The keys that work right now: `↑/↓ select  c create  …`. */
import { Text } from 'ink';

export interface KeyFooterProps {
  keys: ReadonlyArray<readonly [key: string, action: string]>;
}

export function KeyFooter({ keys }: KeyFooterProps) {
  return (
    <Text wrap="truncate">
      {keys.map(([key, action], i) => (
        <Text key={key}>
          {i > 0 ? '  ' : ''}
          <Text bold color="cyan">
            {key}
          </Text>{' '}
          <Text dimColor>{action}</Text>
        </Text>
      ))}
    </Text>
  );
}
