/** A yes/no question answered with one key: y confirms; n, Esc or Ctrl+C declines. */
import { Box, Text, useInput } from 'ink';

export interface ConfirmPromptProps {
  question: string;
  onAnswer: (yes: boolean) => void;
}

export function ConfirmPrompt({ question, onAnswer }: ConfirmPromptProps) {
  useInput((input, key) => {
    if (input === 'y' || input === 'Y') onAnswer(true);
    else if (input === 'n' || input === 'N' || key.escape || (key.ctrl && input === 'c')) onAnswer(false);
  });
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text color="cyan">? </Text>
        <Text bold>{question}</Text> <Text dimColor>(y/n)</Text>
      </Text>
      <Text dimColor>y to confirm · n or esc to cancel</Text>
    </Box>
  );
}
