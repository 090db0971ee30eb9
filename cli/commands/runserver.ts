/**
 * `mgrpc runserver [addrport] --service NAME` and its gRPC twin (grpcrunserver.ts): one side
 * of a service, served until Ctrl-C (cli/serve/serve.ts), or with `--dev` restarted on every
 * source change (cli/serve/dev.ts).
 */
import { Command } from 'commander';

import type { Side } from '../../services/framework/runtime.js';

/** The command that serves `side`; runserver and grpcrunserver differ in nothing else. */
export function serveCommand(side: Side, name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .argument('[addrport]', 'PORT, HOST:PORT or [IPV6]:PORT (default: 127.0.0.1 and the tutorial port of the service)')
    .requiredOption('-s, --service <name>', 'which service: dashboard or product')
    .option('--migrate', 'apply pending migrations before serving')
    .option('--dev', 'restart the server when source files change (runs the TypeScript sources through tsx in a checkout)')
    .action(async (addrport: string | undefined, opts: { service: string; migrate?: boolean; dev?: boolean }) => {
      const options = { addrport, service: opts.service, migrate: opts.migrate };
      if (opts.dev) {
        const { serveDev } = await import('../serve/dev.js');
        process.exitCode = await serveDev(side, name, options);
        return;
      }
      const { serveUntilStopped } = await import('../serve/serve.js');
      await serveUntilStopped(side, options);
    });
}

export const runserverCommand = () =>
  serveCommand('rest', 'runserver', "run a service's REST API (express); example: mgrpc runserver 0.0.0.0:10008 --service dashboard");
