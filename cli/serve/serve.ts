/**
 * `runserver` and `grpcrunserver`: serve one side of a service until SIGINT/SIGTERM, then
 * drain it (see services/framework/runtime.ts) and exit 0. A second signal during the drain
 * exits at once (128 + signal number). `--dev` is dev.ts: the same command as a child that
 * restarts on changes.
 */
import { constants } from 'node:os';

import { createLogger, DEFAULT_BASE_PORT, loadDotenv, parseListenAddress, serve, type Side } from '../../services/framework/index.js';
import { UsageError } from '../handle-error.js';
import { loadRegistry } from '../project-registry.js';

export interface ServeOptions {
  /** PORT, HOST:PORT or [IPV6]:PORT; default 127.0.0.1 and the service's own port. */
  addrport?: string;
  service: string;
  migrate?: boolean;
}

/** Serves until a signal, drains, and leaves the process to exit 0. */
export async function serveUntilStopped(side: Side, options: ServeOptions): Promise<void> {
  const { loadService } = await loadRegistry();
  loadDotenv();
  const module = await loadService(options.service).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  let address;
  try {
    address = parseListenAddress(options.addrport, { host: '127.0.0.1', port: DEFAULT_BASE_PORT + module.ports[side] });
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
  const running = await serve(module, side, { address, migrate: options.migrate });
  await stopRequested;
  await running.close();
  // Everything is closed; should a stray handle keep the event loop alive, exit anyway.
  setTimeout(() => process.exit(0), 1000).unref();
}
