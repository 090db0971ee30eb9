/**
 * `mgrpc status`: the running system at a glance (cli/status/status.ts): each process, its
 * address and health, and each service's outbox depth. Exits 1 when a process is not up.
 */
import { Command } from 'commander';

interface StatusCommandOptions {
  dataDir?: string;
  json?: boolean;
}

export function statusCommand(): Command {
  return new Command('status')
    .description("show the running system: each process, its address and health (REST /readyz, gRPC health Check), and each service's outbox depth; exits 1 when a process is not up")
    .option('--data-dir <dir>', "where the SQLite files are, for the outbox depth (default: $MGRPC_DATA_DIR, else the running `mgrpc up`'s, else ./data)")
    .option('--json', 'print JSON')
    .action(async (opts: StatusCommandOptions) => {
      const { formatStatus, systemStatus } = await import('../status/status.js');
      const status = await systemStatus({ dataDir: opts.dataDir });
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      if (!status.ok) process.exitCode = 1;
    });
}
