/**
 * Shared by `runserver` and `grpcrunserver`: parse `[addr:port] --service NAME`, serve one
 * side of the service until SIGINT/SIGTERM, then drain it (see services/framework/runtime.ts)
 * and exit 0. A second signal during the drain exits at once (128 + signal number).
 * `--dev` runs the same command as a child that restarts on source changes (cli/dev/).
 */
import { constants } from 'node:os';

import { Command } from 'commander';

import { UsageError } from './handle-error.js';

export function serveCommand(side: 'rest' | 'grpc', name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .argument('[addrport]', 'PORT, HOST:PORT or [IPV6]:PORT (default: 127.0.0.1 and the tutorial port of the service)')
    .requiredOption('-s, --service <name>', 'which service: dashboard or product')
    .option('--migrate', 'apply pending migrations before serving')
    .option('--dev', 'restart the server when source files change (runs the TypeScript sources through tsx in a checkout)')
    .action(async (addrport: string | undefined, opts: { service: string; migrate?: boolean; dev?: boolean }) => {
      if (opts.dev) {
        const { SERVICE_NAMES } = await import('../services/registry.js');
        if (!(SERVICE_NAMES as string[]).includes(opts.service)) {
          throw new UsageError(`unknown service '${opts.service}': choose one of ${SERVICE_NAMES.join(', ')}`);
        }
        const { runDev } = await import('./dev/restart-on-change.js');
        const args = [name, ...(addrport === undefined ? [] : [addrport]), '--service', opts.service, ...(opts.migrate ? ['--migrate'] : [])];
        process.exitCode = await runDev({ args, label: `${opts.service} ${side === 'rest' ? 'REST' : 'gRPC'}` });
        return;
      }
      const { DEFAULT_BASE_PORT, createLogger, loadDotenv, parseListenAddress, serve } = await import('../services/framework/index.js');
      const { loadService } = await (await import('./project-registry.js')).loadRegistry();
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
      // Signals are taken before serving starts: the port accepts connections before start-up
      // has finished (the relay, the metrics port), and a SIGTERM in that window must still
      // drain and exit 0, not kill the process by default.
      const log = createLogger(`${module.name}.${side}`);
      const stopRequested = new Promise<void>((resolve) => {
        let draining = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (draining) {
            log.warn(`${signal} again: exiting without finishing the drain`);
            process.exit(128 + constants.signals[signal]);
          }
          draining = true;
          log.info(`${signal}: draining (${signal} again to exit at once)`);
          resolve();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      const running = await serve(module, side, { address, migrate: opts.migrate });
      await stopRequested;
      await running.close();
      // Everything is closed; should a stray handle keep the event loop alive, exit anyway.
      setTimeout(() => process.exit(0), 1000).unref();
    });
}
