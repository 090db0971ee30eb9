/**
 * The standard gRPC health service (grpc.health.v1.Health, health-definition.ts) on
 * every server the framework starts: "" (the whole server) and each served service name
 * report SERVING once the server listens and NOT_SERVING from the moment a drain starts,
 * so load balancers and `grpc_health_probe` stop sending work before the port closes.
 * Health calls never need credentials: auth interceptors exempt HEALTH_PATH_PREFIX.
 *
 * @example
 *   const health = addHealthService(server, ['product.ProductService']);
 *   health.serving();      // after bind
 *   health.shutdown();     // when draining: NOT_SERVING, and open Watch streams end
 */
import type * as grpc from '@grpc/grpc-js';

import type { WatchStreamLimiter } from '../grpc/concurrency-limits.js';
import { healthDefinition } from './health-definition.js';

/** Method paths of the health service start with this; interceptors that demand auth skip them. */
export const HEALTH_PATH_PREFIX = '/grpc.health.v1.Health/';

/** The grpc.health.v1.Health service definition, for clients (`createClient(healthService(), …)`). */
export function healthService(): grpc.ServiceDefinition {
  return healthDefinition();
}

export interface HealthReporter {
  /** The names that report a status: "" and every served service. */
  readonly names: readonly string[];
  serving(): void;
  notServing(): void;
  /** NOT_SERVING for good: watchers get it, then their streams end so the server can close. */
  shutdown(): void;
}

/** "product.ProductService" from a definition whose methods are /product.ProductService/<Method>. */
export function serviceNameOf(definition: grpc.ServiceDefinition): string {
  const first = Object.values(definition)[0];
  if (!first) throw new Error('a gRPC service definition with no methods has no name to report health for');
  return first.path.slice(1, first.path.lastIndexOf('/'));
}

/** Longest service name a Watch may ask for; real ones are a package and a service name. */
export const MAX_HEALTH_SERVICE_NAME = 512;

type HealthRequest = { service?: string };
type ServingStatusName = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/**
 * Registers the health service on `server` (before it binds); everything starts NOT_SERVING.
 * The handlers are ours: grpc-health-check's implementation kept a map
 * entry for every name any client ever watched, so Watch calls with new names grew the heap
 * until the server died. Here the statuses are a fixed map of the served names; a watcher
 * is held only while its stream is open, and streams are counted by `streams`.
 */
export function addHealthService(server: grpc.Server, definitions: grpc.ServiceDefinition[], streams: WatchStreamLimiter): HealthReporter {
  const names = ['', ...new Set(definitions.map(serviceNameOf))];
  const statuses = new Map<string, ServingStatusName>(names.map((name) => [name, 'NOT_SERVING']));
  const watches = new Map<grpc.ServerWritableStream<HealthRequest, unknown>, string>();
  const set = (status: ServingStatusName) => {
    for (const name of names) statuses.set(name, status);
    for (const [call, name] of watches) if (statuses.has(name)) call.write({ status });
  };
  server.addService(healthService(), {
    check: (call: grpc.ServerUnaryCall<HealthRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const name = call.request.service ?? '';
      const status = statuses.get(name);
      if (status) callback(null, { status });
      else callback({ code: GRPC_NOT_FOUND, details: `Health status unknown for service ${printable(name)}` });
    },
    watch: (call: grpc.ServerWritableStream<HealthRequest, unknown>) => {
      const name = call.request.service ?? '';
      if (name.length > MAX_HEALTH_SERVICE_NAME) {
        call.emit('error', { code: GRPC_INVALID_ARGUMENT, details: `service: at most ${MAX_HEALTH_SERVICE_NAME} characters` });
        return;
      }
      if (!streams.admit(call)) return;
      watches.set(call, name);
      const forget = () => watches.delete(call);
      call.once('cancelled', forget);
      call.once('finish', forget);
      // An unknown name stays open, as the protocol says, but holds nothing beyond its stream.
      call.write({ status: statuses.get(name) ?? 'SERVICE_UNKNOWN' });
    },
    list: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, { statuses: Object.fromEntries([...statuses].map(([name, status]) => [name, { status }])) });
    },
  } as grpc.UntypedServiceImplementation);
  let shutDown = false;
  return {
    names,
    serving: () => {
      if (!shutDown) set('SERVING');
    },
    notServing: () => set('NOT_SERVING'),
    shutdown: () => {
      shutDown = true;
      set('NOT_SERVING');
      for (const call of watches.keys()) call.end();
      watches.clear();
    },
  };
}

// grpc.status values, without importing grpc-js's runtime into this module's REST users.
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_NOT_FOUND = 5;

/** A client-chosen name in a message: cut short, controls shown as '?'. */
function printable(name: string): string {
  const short = name.length > 100 ? `${name.slice(0, 100)}…` : name;
  return short.replace(/[\x00-\x1f\x7f]/g, '?');
}
