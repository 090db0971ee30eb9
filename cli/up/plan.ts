/**
 * What `mgrpc up` will run, worked out and checked before anything starts: every process with
 * its port (replicas.ts), and the one environment they share (data directory, peers, databases,
 * NODE_OPTIONS). A setting that cannot work is a UsageError naming the fix.
 */
import path from 'node:path';

import { DEFAULT_BASE_PORT, METRICS_PORT_ENV, databaseUrlFor, metricsPortFor, type ServiceModule } from '../../services/framework/index.js';
import { heapSettingsProblem, serverProcessEnv } from '../../services/framework/server-process.js';
import { UsageError } from '../handle-error.js';
import { loadRegistry } from '../project-registry.js';
import { serviceDatabaseUrl } from './databases.js';
import { connectHost } from './port-check.js';
import { peerTarget, planReplicas, type Planned } from './replicas.js';

export interface UpOptions {
  basePort?: number;
  dataDir?: string;
  host: string;
  replicas: number;
  database?: string;
}

export interface UpPlan {
  options: UpOptions;
  modules: ServiceModule<any>[];
  processes: Planned[];
  /** The environment of every process. */
  env: NodeJS.ProcessEnv;
  /** Where a client reaches the processes (the wildcard addresses mean this machine). */
  reachable: string;
  dataDir: string;
  /** What would make the servers collect garbage far too often (MGRPC_SERVER_NODE_OPTIONS), to warn of. */
  heapProblem?: string;
}

/** DASHBOARD, ORDER_ITEMS: the prefix of a service's variables. */
export const envName = (service: string) => service.toUpperCase().replace(/-/g, '_');

export async function planUp(options: UpOptions): Promise<UpPlan> {
  const { SERVICE_NAMES, loadService } = await loadRegistry();
  const basePort = options.basePort ?? DEFAULT_BASE_PORT;
  const reachable = connectHost(options.host);
  const dataDir = path.resolve(options.dataDir ?? (process.env.MGRPC_DATA_DIR || 'data'));

  const modules = await Promise.all(SERVICE_NAMES.map((name) => loadService(name)));
  const processes = planReplicas(modules, basePort, options.replicas);
  const highest = processes.reduce((a, b) => (b.port > a.port ? b : a));
  if (highest.port > 65535) {
    throw new UsageError(`--base-port ${basePort} puts ${highest.name} on port ${highest.port}; the highest base port is ${65535 - (highest.port - basePort)}`);
  }
  const grpcPortsOf = (service: string) => processes.filter((p) => p.service === service && p.side === 'grpc').map((p) => p.port);
  let peers: [string, string][];
  try {
    peers = modules.map((m) => [`${envName(m.name)}_GRPC_SERVER`, peerTarget(reachable, grpcPortsOf(m.name))]);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  // Every service can reach every other's gRPC server at <NAME>_GRPC_SERVER (DASHBOARD_GRPC_SERVER, …),
  // with several replicas an ipv4: list of all of them, which the clients round-robin over.
  const env: NodeJS.ProcessEnv = { ...process.env, MGRPC_DATA_DIR: dataDir, ...Object.fromEntries(peers) };
  // A fixed metrics port would be taken by the first replica; the default (gRPC port + 1000) differs per replica.
  if (options.replicas > 1) {
    for (const m of modules) {
      const fixed = metricsPortFor(m.name, 1, env);
      if (fixed?.explicit) {
        throw new UsageError(`${m.name}'s metrics port is fixed (${METRICS_PORT_ENV} or ${envName(m.name)}_METRICS_PORT), so its replicas would all bind it: unset it (each gRPC replica then serves metrics on its port + 1000) or set it to off`);
      }
    }
  }
  if (options.database !== undefined) {
    for (const m of modules) env[`${envName(m.name)}_DATABASE_URL`] = serviceDatabaseUrl(options.database, m.name);
  }
  const heapProblem = heapSettingsProblem(env);
  Object.assign(env, serverProcessEnv(env));
  // The children write to our pipes, so they would choose json; at a terminal, people read them.
  if (!env.LOG_FORMAT && process.stdout.isTTY) env.LOG_FORMAT = 'pretty';
  // DATABASE_URL is for a process environment of one service (compose); here both services would share it.
  for (const m of modules) {
    if (databaseUrlFor(m.name, env) === env.DATABASE_URL) {
      throw new UsageError(
        `DATABASE_URL is set, and \`mgrpc up\` would give it to every service; services must not share a database: ` +
          `set ${m.name.toUpperCase()}_DATABASE_URL (and the others) instead, or unset DATABASE_URL`,
      );
    }
  }
  return { options, modules, processes, env, reachable, dataDir, heapProblem };
}
