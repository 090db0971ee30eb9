/**
 * Shared by `runserver` and `grpcrunserver`: parse `[addr:port] --service NAME`, serve one
 * side of the service until SIGINT/SIGTERM, then close it cleanly and exit 0.
 */
import { Command } from 'commander';

import { UsageError } from './handle-error.js';

export function serveCommand(side: 'rest' | 'grpc', name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .argument('[addrport]', 'PORT, HOST:PORT or [IPV6]:PORT (default: 127.0.0.1 and the tutorial port of the service)')
    .requiredOption('-s, --service <name>', 'which service: dashboard or product')
    .option('--migrate', 'apply pending migrations before serving')
    .action(async (addrport: string | undefined, opts: { service: string; migrate?: boolean }) => {
      const { DEFAULT_BASE_PORT, loadDotenv, parseListenAddress, serve } = await import('../services/framework/index.js');
      const { loadService } = await import('../services/registry.js');
      loadDotenv();
      const module = await loadService(opts.service).catch((err: Error) => {
        throw new UsageError(err.message);
      });
      let address;
      try {
        address = parseListenAddress(addrport, { host: '127.0.0.1', port: DEFAULT_BASE_PORT + module.ports[side] });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const running = await serve(module, side, { address, migrate: opts.migrate });
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await running.close();
    });
}
