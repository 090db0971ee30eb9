/**
 * `mgrpc up`: the whole system on one machine (cli/up/run-up.ts): migrate, start every
 * service's REST and gRPC process, restart any that exits, stop them all on Ctrl-C.
 */
import { Command, InvalidArgumentError } from 'commander';

import { describePortLayout } from '../../services/framework/server-process.js';
import { DEFAULT_BASE_PORT } from '../../services/framework/service-module.js';
import { MAX_REPLICAS, REPLICA_PORT_STRIDE, parseReplicas } from '../up/replicas.js';
import type { UpOptions } from '../up/plan.js';

function parseBasePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number, 1-65535 (for example 20000)');
  return port;
}

export function upCommand(): Command {
  return new Command('up')
    .description('run the whole system: migrate, then start every service’s REST and gRPC process, restarting any that exits')
    .option('--base-port <n>', `ports are ${describePortLayout()} (default: ${DEFAULT_BASE_PORT})`, parseBasePort)
    .option('--data-dir <dir>', 'where the SQLite files live (default: $MGRPC_DATA_DIR or ./data)')
    .option('--host <host>', 'address every process listens on', '127.0.0.1')
    .option(
      '--replicas <n>',
      `run N replicas of every process (1-${MAX_REPLICAS}); replica r listens on its port + ${REPLICA_PORT_STRIDE}·r, and gRPC clients round-robin over all peers`,
      parseReplicas,
      1,
    )
    .option('--database <url>', 'a PostgreSQL server (postgres://USER:PASSWORD@HOST:PORT/): each service gets its own database there, mgrpc_<service>, created if missing')
    .action(async (opts: UpOptions) => {
      const { runUp } = await import('../up/run-up.js');
      await runUp(opts);
    });
}
