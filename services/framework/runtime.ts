/**
 * Runs one side of a service module in this process: open its database, refuse to start
 * on pending migrations, build its context, serve, and drain on `close()`:
 *   1. stop taking work: gRPC health NOT_SERVING / /readyz 503 "draining", the listener
 *      closed (new connections refused), in-flight requests allowed to finish within
 *      MGRPC_DRAIN_MS (default 10000), then cut;
 *   2. the drain hooks registered through `onDrain`, in order, each bounded;
 *   3. the module teardown, then the database close.
 * The CLI's runserver/grpcrunserver are thin wrappers around `serve`.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';

import { databaseOptionsFromEnv, openDatabase } from './db/connect.js';
import { dialectOf, redactUrl, sqliteStorage } from './db/url.js';
import { migrate, migrationStates, pendingMigrations, revert, type Migration, type MigrationState } from './db/migrations.js';
import { envInt, formatAddress, type ListenAddress } from './config.js';
import { DEFAULT_MAX_MESSAGE_BYTES, startGrpcServer } from './grpc/server.js';
import { createReadiness } from './health/readiness.js';
import { DrainHooks, type DrainHook, type DrainHookOptions } from './lifecycle/drain-hooks.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics/metrics.js';
import { metricsPortFor, startMetricsServer, type RunningMetricsServer } from './metrics/metrics-server.js';
import { Outbox, outboxOptionsFromEnv } from './outbox/outbox.js';
import { outboxMigration } from './sync/tables.js';
import { configureChangeLog } from './watch/change-log.js';
import { changeFeed } from './watch/feed.js';
import { changesMigration } from './watch/tables.js';
import { answerClientErrors, createRestApp } from './rest/app.js';
import { apiKeyFromEnv } from './security/api-key.js';
import { grpcClientSecurity, grpcServerSecurity } from './security/grpc-security.js';
import { serviceTokenFromEnv } from './security/service-token.js';
import { databaseUrlFor, type ServiceModule } from './service-module.js';

export type Side = 'rest' | 'grpc';

export interface ServeOptions {
  address: ListenAddress;
  env?: NodeJS.ProcessEnv;
  /** Apply pending migrations first instead of refusing to start. */
  migrate?: boolean;
  /** How long in-flight requests may take to finish on close (default: MGRPC_DRAIN_MS, else 10000). */
  drainMs?: number;
}

export const DEFAULT_DRAIN_MS = 10_000;

export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:10008 or 127.0.0.1:10009. */
  url: string;
  port: number;
  /** Adds a drain step (see SetupArgs.onDrain); runs after those added during setup. */
  onDrain(name: string, hook: DrainHook, options?: DrainHookOptions): void;
  /** Drains and closes (see the steps above). Calling it again returns the same promise. */
  close(): Promise<void>;
}

/** The framework's tables first, then the service's own. */
export function serviceMigrations(module: ServiceModule<any>) {
  return [outboxMigration, changesMigration, ...module.migrations];
}

export async function migrateService(module: ServiceModule<any>, env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; applied: string[] }> {
  const url = databaseUrlFor(module.name, env);
  // No statement timeout here: a migration rewriting a large table must not be cancelled halfway.
  const sequelize = await openDatabase(url, { ...databaseOptionsFromEnv(env), statementTimeoutMs: 0 }, createLogger(`${module.name}.db`));
  try {
    return { url: redactUrl(url), applied: await migrate(sequelize, serviceMigrations(module)) };
  } finally {
    await sequelize.close();
  }
}

/**
 * Moves a service's database to `target`, one of its own migrations (applying the ones up to
 * it, reverting the ones after it, newest first), or to none of them (`undefined`: every
 * migration of the service reverted; the framework's tables stay).
 */
export async function migrateServiceTo(
  module: ServiceModule<any>,
  target: Migration | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; applied: string[]; reverted: string[] }> {
  const url = databaseUrlFor(module.name, env);
  const sequelize = await openDatabase(url, { ...databaseOptionsFromEnv(env), statementTimeoutMs: 0 }, createLogger(`${module.name}.db`));
  try {
    const all = serviceMigrations(module);
    if (!target) return { url: redactUrl(url), applied: [], reverted: await revert(sequelize, module.migrations) };
    const applied = await migrate(sequelize, all, { to: target.name });
    return { url: redactUrl(url), applied, reverted: await revert(sequelize, all, target.name) };
  } finally {
    await sequelize.close();
  }
}

/**
 * Which of a service's migrations its database has applied. Reads only: a SQLite file that
 * does not exist yet is not created (`created: false`, nothing applied).
 */
export async function serviceMigrationStates(
  module: ServiceModule<any>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; created: boolean; states: MigrationState[]; unknown: string[] }> {
  const url = databaseUrlFor(module.name, env);
  const all = serviceMigrations(module);
  if (dialectOf(url) === 'sqlite' && sqliteStorage(url) !== ':memory:' && !existsSync(sqliteStorage(url))) {
    return { url: redactUrl(url), created: false, states: all.map((m) => ({ name: m.name, applied: false })), unknown: [] };
  }
  const sequelize = await openDatabase(url, { ...databaseOptionsFromEnv(env), access: 'read' }, createLogger(`${module.name}.db`));
  try {
    return { url: redactUrl(url), created: true, ...(await migrationStates(sequelize, all)) };
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
  const drainMs = options.drainMs ?? envInt('MGRPC_DRAIN_MS', DEFAULT_DRAIN_MS, env);
  const logger = createLogger(`${module.name}.${side}`);
  // Security settings fail before anything opens: a bad certificate path is one start-up error.
  const grpcSecurity = side === 'grpc' ? grpcServerSecurity(env) : undefined;
  const apiKey = side === 'rest' ? apiKeyFromEnv(env) : undefined;
  // Loaded here, not with the framework: connect-es costs a CLI command ~200 ms it does not need.
  const connect = side === 'rest' ? await import('./connect/edge.js') : undefined;
  const corsOrigins = connect?.corsOriginsFromEnv(env);
  const clientSecurity = grpcClientSecurity(env);
  const maxMessageBytes = envInt('MGRPC_GRPC_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, env);
  // A malformed MGRPC_METRICS_PORT fails here, before anything opens.
  if (side === 'grpc') metricsPortFor(module.name, options.address.port, env);
  const metrics = createMetrics({ service: module.name, side });
  const url = databaseUrlFor(module.name, env);
  const sequelize = await openDatabase(url, databaseOptionsFromEnv(env), createLogger(`${module.name}.${side}.db`));
  configureChangeLog(sequelize, { keep: envInt('MGRPC_CHANGE_LOG_KEEP', 100_000, env), logger: createLogger(`${module.name}.${side}.changes`) });
  try {
    if (options.migrate) await migrate(sequelize, serviceMigrations(module));
    const pending = await pendingMigrations(sequelize, serviceMigrations(module));
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
  const outbox = new Outbox(sequelize, {
    ...outboxOptionsFromEnv(env, createLogger(`${module.name}.${side}.outbox`)),
    onDelivery: (topic, result) => metrics.observeDelivery(topic, result),
  });
  metrics.watchOutbox(outbox, logger);
  const drainHooks = new DrainHooks();
  const onDrain = drainHooks.add.bind(drainHooks);
  // First step once requests are done: their deliveries finish (bounded) while the peer
  // clients are still open; what is left stays queued for the next relay.
  const outboxStopMs = envInt('MGRPC_OUTBOX_STOP_MS', 5000, env);
  onDrain('outbox relay', () => outbox.stop(outboxStopMs), { timeoutMs: outboxStopMs + 1000 });
  const ctx = await module.setup({ sequelize, logger, env, grpcClientSecurity: clientSecurity, outbox, onDrain });
  /** For a start-up that failed after setup: nothing was served, nothing to drain. */
  const closeContext = async () => {
    await module.teardown?.(ctx);
    await sequelize.close();
  };
  /** Runs once: stop taking work (bounded by drainMs inside), the drain hooks, then teardown and the database. */
  const drainWith = (stopServing: () => Promise<void>): (() => Promise<void>) => {
    let closing: Promise<void> | undefined;
    return () =>
      (closing ??= (async () => {
        logger.info('draining', { drainMs });
        await stopServing();
        await drainHooks.run(logger);
        const last = new DrainHooks();
        last.add('module teardown', () => module.teardown?.(ctx));
        last.add('change feed', () => changeFeed(sequelize).close());
        last.add('database', () => sequelize.close());
        await last.run(logger);
        logger.info('stopped');
      })());
  };

  if (side === 'grpc') {
    const running = await startGrpcServer({ ...options.address, services: module.grpcServices(ctx), logger, maxMessageBytes, metrics, ...grpcSecurity }).catch(async (err) => {
      await closeContext();
      throw listenError(err, `${module.name} gRPC`, options.address);
    });
    let metricsServer: RunningMetricsServer | undefined;
    // From the requested port: an ephemeral gRPC port (0) has no predictable neighbour, so its default is off.
    const metricsPort = metricsPortFor(module.name, options.address.port, env);
    if (metricsPort) {
      const metricsAddress = { host: options.address.host, port: metricsPort.port };
      metricsServer = await startMetricsServer({ ...metricsAddress, metrics }).catch(async (err: unknown) => {
        // Asked for: a start-up error like the gRPC port's. The default port: not worth refusing to serve.
        if (!metricsPort.explicit) {
          logger.warn(`metrics disabled: ${listenError(err, `${module.name} gRPC metrics`, metricsAddress).message} (set MGRPC_METRICS_PORT to another port, or off)`);
          return undefined;
        }
        await running.close(0);
        await closeContext();
        throw listenError(err, `${module.name} gRPC metrics`, metricsAddress);
      });
    }
    await outbox.start();
    const address = formatAddress({ host: options.address.host, port: running.port });
    const metricsUrl = metricsServer ? `http://${formatAddress({ host: options.address.host, port: metricsServer.port })}/metrics` : 'off';
    logger.info(`${module.name} gRPC listening on ${address}`, { database: redactUrl(url), metrics: metricsUrl });
    const stopServing = async () => {
      await running.close(drainMs);
      await metricsServer?.close();
    };
    return { url: address, port: running.port, onDrain, close: drainWith(stopServing) };
  }

  const readiness = createReadiness({ sequelize, peers: module.peers?.(ctx) ?? [], credentials: clientSecurity.credentials });
  // The same handlers as the gRPC side, for browsers: Connect and gRPC-Web (docs/browser.md).
  const rpc = connect!.connectEdge({ services: module.grpcServices(ctx), logger, metrics, corsOrigins, serviceToken: serviceTokenFromEnv(env), maxMessageBytes });
  const app = createRestApp({ api: module.restRoutes(ctx), logger, apiKey, readiness, name: module.name, metrics, admin: { outbox }, rpc });
  const server = http.createServer(app);
  answerClientErrors(server);
  // Bounded keep-alive so a drained server can close promptly.
  server.keepAliveTimeout = 5000;
  // While draining, a kept-alive connection is closed as soon as its last response is out,
  // rather than when its keep-alive timer runs out.
  server.on('request', (_req, res: http.ServerResponse) => {
    res.once('finish', () => {
      if (readiness.draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.address.port, options.address.host, () => resolve());
    });
  } catch (err) {
    readiness.close();
    await closeContext();
    throw listenError(err, `${module.name} REST`, options.address);
  }
  await outbox.start();
  const port = (server.address() as { port: number }).port;
  const address = `http://${formatAddress({ host: options.address.host, port })}`;
  logger.info(`${module.name} REST listening on ${address}`, { database: redactUrl(url) });
  const stopServing = async () => {
    readiness.startDraining();
    await new Promise<void>((resolve) => {
      // close() refuses new connections at once and calls back when the open ones are gone;
      // requests still running after drainMs are cut.
      const cut = setTimeout(() => server.closeAllConnections(), drainMs);
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
      // Streams never end by themselves: end them (UNAVAILABLE) so their connections can close.
      rpc.close();
    });
    readiness.close();
  };
  return { url: address, port, onDrain, close: drainWith(stopServing) };
}
