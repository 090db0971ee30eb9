/**
 * The standard gRPC health service (grpc.health.v1.Health, from `grpc-health-check`) on
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
import { createRequire } from 'node:module';

import type * as grpc from '@grpc/grpc-js';
import type { ServingStatus } from 'grpc-health-check';

/** Method paths of the health service start with this; interceptors that demand auth skip them. */
export const HEALTH_PATH_PREFIX = '/grpc.health.v1.Health/';

type HealthCheckLibrary = typeof import('grpc-health-check');

const require = createRequire(import.meta.url);
let library: HealthCheckLibrary | undefined;

/**
 * grpc-health-check, loaded on first use: it parses its .proto when imported (30-45 ms of a
 * start-up here), and a REST server needs it only when /readyz first asks a peer.
 */
function healthCheckLibrary(): HealthCheckLibrary {
  return (library ??= require('grpc-health-check') as HealthCheckLibrary);
}

/** The grpc.health.v1.Health service definition, for clients (`createClient(healthService(), …)`). */
export function healthService(): grpc.ServiceDefinition {
  return healthCheckLibrary().service as grpc.ServiceDefinition;
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

/** Registers the health service on `server` (before it binds); everything starts NOT_SERVING. */
export function addHealthService(server: grpc.Server, definitions: grpc.ServiceDefinition[]): HealthReporter {
  const names = ['', ...new Set(definitions.map(serviceNameOf))];
  const set = (status: ServingStatus) => {
    for (const name of names) implementation.setStatus(name, status);
  };
  const { HealthImplementation } = healthCheckLibrary();
  const implementation = new HealthImplementation(Object.fromEntries(names.map((name) => [name, 'NOT_SERVING' as const])));
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  // The library keeps its Watch calls to itself; wrap its handler to be able to end them.
  implementation.addToServer({
    addService(definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation) {
      const watch = handlers.watch as grpc.handleServerStreamingCall<unknown, unknown>;
      server.addService(definition, {
        ...handlers,
        watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
          watches.add(call);
          call.on('cancelled', () => watches.delete(call));
          watch(call);
        },
      });
    },
  } as unknown as Parameters<InstanceType<HealthCheckLibrary['HealthImplementation']>['addToServer']>[0]);
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
      for (const call of watches) call.end();
      watches.clear();
    },
  };
}
