/** One line: each of the four servers with a green ● up, a red ● down or a grey ? unknown. */
import { Box, Text } from 'ink';

import type { ServerHealth, ServerName } from './system-snapshot.js';

export interface ServerStatusProps {
  servers: Record<ServerName, ServerHealth>;
}

const ORDER: readonly ServerName[] = ['dashboard', 'dashboard_grpc', 'product', 'product_grpc'];

export function ServerStatus({ servers }: ServerStatusProps) {
  return (
    <Box height={1} overflow="hidden">
      <Text wrap="truncate">
        {ORDER.map((name, i) => {
          const { state } = servers[name];
          return (
            <Text key={name}>
              {i > 0 ? '   ' : ''}
              {name} {state === 'up' ? <Text color="green">● up</Text> : state === 'down' ? <Text color="red">● down</Text> : <Text dimColor>? unknown</Text>}
            </Text>
          );
        })}
      </Text>
    </Box>
  );
}
