/**
 * What a service is, to the mgrpc runtime: a name, its place in the port layout, its
 * migrations, how to build its context, and its two registration hooks (gRPC services
 * and REST routes), plus optional peers (checked by /readyz) and teardown.
 * `mgrpc runserver|grpcrunserver|migrate|up` work on any module.
 *
 * @example
 *   export default defineServiceModule({
 *     name: 'dashboard', ports: { rest: 8, grpc: 9 }, migrations, models: defineModels,
 *     setup: ({ sequelize, env, grpcClientSecurity }) => ({ models: defineModels(sequelize), clients: createClients(loadConfig(env, grpcClientSecurity)) }),
 *     grpcServices: (ctx) => [productService(ctx), userService(ctx)],
 *     restRoutes: (ctx) => routes(ctx),
 *   });
 */
import type { Router } from 'express';
import type { Sequelize } from 'sequelize';

import { sqliteUrl } from './db/url.js';
import type { Migration } from './db/migrations.js';
import type { GrpcService } from './grpc/define-service.js';
import type { Peer } from './health/peer-health.js';
import type { DrainHook, DrainHookOptions } from './lifecycle/drain-hooks.js';
import type { Logger } from './logger.js';
import type { Outbox } from './outbox/outbox.js';
import type { GrpcClientSecurity } from './security/grpc-security.js';

export interface SetupArgs {
  sequelize: Sequelize;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /**
   * TLS credentials and service token for calls to peers (MGRPC_TLS_*, MGRPC_SERVICE_TOKEN), read
   * once at start-up by the runtime, which checks peers with them too: certificates are read once.
   */
  grpcClientSecurity: GrpcClientSecurity;
  /** Records cross-service changes in the caller's transaction and relays them (outbox/outbox.ts). */
  outbox: Outbox;
  /**
   * Adds a step to this process's graceful shutdown: it runs after the server stopped taking
   * work and in-flight requests ended, before teardown and the database close (bounded).
   */
  onDrain(name: string, hook: DrainHook, options?: DrainHookOptions): void;
}

export interface ServiceModule<Ctx = unknown> {
  name: string;
  /** Offsets from the base port (default base 10000): the tutorial's 10007/10008/… layout. */
  ports: { rest: number; grpc: number };
  migrations: Migration[];
  /**
   * Defines the service's Sequelize models on a connection and returns them by name
   * (`{ Product, User }`): what `mgrpc makemigrations` compares with the migrations and
   * what `mgrpc shell` puts in scope. Usually the service's `defineModels`.
   */
  models?(sequelize: Sequelize): object;
  /** Builds what handlers need (models bound to the database, clients of peers). Once per process. */
  setup(args: SetupArgs): Ctx | Promise<Ctx>;
  /** The handler-registration hook: every gRPC service this process serves. */
  grpcServices(ctx: Ctx): GrpcService[];
  /** The routes mounted under /api. */
  restRoutes(ctx: Ctx): Router;
  /**
   * The gRPC servers this service calls, for /readyz: each must answer a grpc.health.v1
   * Check. Example: `peers: (ctx) => [{ name: 'product gRPC', target: ctx.config.productGrpcServer }]`.
   */
  peers?(ctx: Ctx): Peer[];
  /** Releases what setup acquired (client channels). */
  teardown?(ctx: Ctx): void | Promise<void>;
}

export function defineServiceModule<Ctx>(module: ServiceModule<Ctx>): ServiceModule<Ctx> {
  if (!/^[a-z][a-z0-9_-]*$/.test(module.name)) throw new Error(`service name '${module.name}' must be lower-case letters, digits, - or _`);
  return module;
}

export const DEFAULT_BASE_PORT = 10000;

/**
 * The database of one service: `<NAME>_DATABASE_URL`, then `DATABASE_URL` (for a process
 * environment of its own, as under docker-compose), then a SQLite file in MGRPC_DATA_DIR.
 */
export function databaseUrlFor(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const own = env[`${name.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`];
  return own || env.DATABASE_URL || sqliteUrl(`${env.MGRPC_DATA_DIR || 'data'}/${name}.sqlite3`);
}
