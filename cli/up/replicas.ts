/**
 * Where `mgrpc up --replicas N` runs each process. Replica r (0-based) of a process listens on
 * its usual port plus 10·r: with the default base, product gRPC on 10006, 10016, …, dashboard
 * REST on 10008, 10018, …; one replica keeps the tutorial's ports and names. Every replica of
 * a REST process has its own port (no shared socket): simple to reason about, and a load
 * balancer in front of them, or a test, can address each one.
 */
import net from 'node:net';

import { InvalidArgumentError } from 'commander';

export const MAX_REPLICAS = 8;
/** The distance between the ports of two replicas of one process (the 4 processes use offsets 6-9). */
export const REPLICA_PORT_STRIDE = 10;

/** One of the processes `up` runs: a replica of one side of a service, at its port. */
export interface Planned {
  name: string;
  service: string;
  side: 'rest' | 'grpc';
  port: number;
  /** 0-based. */
  replica: number;
}

interface PlannedService {
  name: string;
  ports: { rest: number; grpc: number };
}

/** `--replicas` as given on the command line: an integer 1-8. */
export function parseReplicas(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_REPLICAS) throw new InvalidArgumentError(`expected a whole number of replicas, 1-${MAX_REPLICAS} (for example 2)`);
  return n;
}

/**
 * Every process of every service, `replicas` times, grouped by process and in port order.
 * Names get a 1-based suffix (`product_grpc_2`) only when there is more than one replica.
 */
export function planReplicas(services: readonly PlannedService[], basePort: number, replicas: number): Planned[] {
  const plan: Planned[] = [];
  for (const s of services) {
    for (const side of ['rest', 'grpc'] as const) {
      const process = side === 'rest' ? s.name : `${s.name}_grpc`;
      for (let replica = 0; replica < replicas; replica++) {
        plan.push({
          name: replicas === 1 ? process : `${process}_${replica + 1}`,
          service: s.name,
          side,
          port: basePort + s.ports[side] + REPLICA_PORT_STRIDE * replica,
          replica,
        });
      }
    }
  }
  return plan.sort((a, b) => a.port - REPLICA_PORT_STRIDE * a.replica - (b.port - REPLICA_PORT_STRIDE * b.replica) || a.replica - b.replica);
}

/**
 * The gRPC target that reaches every replica at `host`: `host:port` for one, else an
 * `ipv4:`/`ipv6:` address list, which the clients' round_robin policy spreads calls over.
 * A host name cannot carry a list of ports, so it is refused with more than one replica.
 */
export function peerTarget(host: string, ports: readonly number[]): string {
  const hostPort = (port: number) => (net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);
  if (ports.length === 1) return hostPort(ports[0]!);
  if (net.isIPv4(host)) return `ipv4:${ports.map(hostPort).join(',')}`;
  if (net.isIPv6(host)) return `ipv6:${ports.map(hostPort).join(',')}`;
  throw new Error(`with --replicas, --host must be an IP address (not '${host}'): the peers are addressed as an ipv4:/ipv6: list`);
}
