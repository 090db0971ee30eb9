/**
 * Runs one side of a service module in this process: open its database, refuse to start
 * on pending migrations, build its context, serve, and close everything in order on
 * `close()`. The CLI's runserver/grpcrunserver are thin wrappers around `serve`.
 */
import http from 'node:http';

import { openDatabase, redactUrl } from './db/connect.js';
import { migrate, pendingMigrations } from './db/migrations.js';
import { envInt, formatAddress, type ListenAddress } from './config.js';
import { DEFAULT_MAX_MESSAGE_BYTES, startGrpcServer } from './grpc/server.js';
import { createLogger } from './logger.js';
import { answerClientErrors, createRestApp } from './rest/app.js';
import { databaseUrlFor, type ServiceModule } from './service-module.js';

export type Side = 'rest' | 'grpc';

export interface ServeOptions {
  address: ListenAddress;
  env?: NodeJS.ProcessEnv;
  /** Apply pending migrations first instead of refusing to start. */
  migrate?: boolean;
}

export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:10008 or 127.0.0.1:10009. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function migrateService(module: ServiceModule<any>, env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; applied: string[] }> {
  const url = databaseUrlFor(module.name, env);
  const sequelize = await openDatabase(url);
  try {
    return { url: redactUrl(url), applied: await migrate(sequelize, module.migrations) };
  } finally {
    await sequelize.close();
  }
}

/** Listen failures in words a user can act on; anything else passes unchanged. */
function listenError(err: unknown, what: string, address: ListenAddress): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (text.includes('EADDRINUSE')) {
    return new Error(`${what} cannot listen on ${formatAddress(address)}: the port is already in use (choose another address, or stop what runs there)`);
  }
  if (text.includes('EADDRNOTAVAIL')) return new Error(`${what} cannot listen on ${formatAddress(address)}: no such address on this machine`);
  if (text.includes('EACCES')) return new Error(`${what} cannot listen on ${formatAddress(address)}: permission denied`);
  return err instanceof Error ? err : new Error(text);
}

export async function serve<Ctx>(module: ServiceModule<Ctx>, side: Side, options: ServeOptions): Promise<RunningService> {
  const env = options.env ?? process.env;
  const logger = createLogger(`${module.name}.${side}`);
  // Read before anything opens, so a bad value fails start-up with nothing to clean up.
  const maxMessageBytes = envInt('MGRPC_GRPC_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, env);
  const url = databaseUrlFor(module.name, env);
  const sequelize = await openDatabase(url);
  try {
    if (options.migrate) await migrate(sequelize, module.migrations);
    const pending = await pendingMigrations(sequelize, module.migrations);
    if (pending.length > 0) {
      throw new Error(
        `the ${module.name} database (${redactUrl(url)}) has ${pending.length} unapplied migration(s): ${pending.join(', ')}; ` +
          `run \`mgrpc migrate --service ${module.name}\` (or start with --migrate)`,
      );
    }
  } catch (err) {
    await sequelize.close();
    throw err;
  }
  const ctx = await module.setup({ sequelize, logger, env });
  const closeContext = async () => {
    await module.teardown?.(ctx);
    await sequelize.close();
  };

  if (side === 'grpc') {
    const running = await startGrpcServer({ ...options.address, services: module.grpcServices(ctx), logger, maxMessageBytes }).catch(async (err) => {
      await closeContext();
      throw listenError(err, `${module.name} gRPC`, options.address);
    });
    const address = formatAddress({ host: options.address.host, port: running.port });
    logger.info(`${module.name} gRPC listening on ${address}`, { database: redactUrl(url) });
    return {
      url: address,
      port: running.port,
      close: async () => {
        await running.close();
        await closeContext();
      },
    };
  }

  const app = createRestApp({ api: module.restRoutes(ctx), logger });
  const server = http.createServer(app);
  answerClientErrors(server);
  // Bounded keep-alive so a drained server can close promptly.
  server.keepAliveTimeout = 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.address.port, options.address.host, () => resolve());
    });
  } catch (err) {
    await closeContext();
    throw listenError(err, `${module.name} REST`, options.address);
  }
  const port = (server.address() as { port: number }).port;
  const address = `http://${formatAddress({ host: options.address.host, port })}`;
  logger.info(`${module.name} REST listening on ${address}`, { database: redactUrl(url) });
  return {
    url: address,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
      await closeContext();
    },
  };
}
