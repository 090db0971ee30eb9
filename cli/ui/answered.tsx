/** What a finished question leaves on screen: `✔ Title: Pen`. */
import { Text } from 'ink';

export interface AnsweredProps {
  label: string;
  value: string;
}

export function Answered({ label, value }: AnsweredProps) {
  return (
    <Text>
      <Text color="green">✔ </Text>
      {label}: <Text bold>{value}</Text>
    </Text>
  );
}
