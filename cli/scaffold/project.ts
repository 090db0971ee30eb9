/**
 * What the scaffolder reads of the project it writes into: the port offsets its services
 * use, the proto packages taken, and the service registry it adds the new service to.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { SERVICE_PORTS } from '../../services/framework/server-process.js';
import { ScaffoldError } from './scaffold-error.js';

export const REGISTRY_FILE = 'services/registry.ts';

/**
 * The port offsets each service's index.ts declares (`ports: { rest: N, grpc: M }`, or
 * `ports: SERVICE_PORTS.name` from the shared layout), by folder.
 */
export function usedPorts(root: string): Map<string, number[]> {
  const used = new Map<string, number[]>();
  const services = path.join(root, 'services');
  if (!existsSync(services)) return used;
  for (const entry of readdirSync(services, { withFileTypes: true })) {
    const index = path.join(services, entry.name, 'index.ts');
    if (!entry.isDirectory() || !existsSync(index)) continue;
    const source = readFileSync(index, 'utf8');
    const shared = /ports:\s*SERVICE_PORTS\.(\w+)/.exec(source)?.[1];
    if (shared && shared in SERVICE_PORTS) {
      const { rest, grpc } = SERVICE_PORTS[shared as keyof typeof SERVICE_PORTS];
      used.set(entry.name, [rest, grpc]);
      continue;
    }
    const ports = /ports:\s*\{([^}]*)\}/.exec(source);
    if (!ports) continue;
    used.set(entry.name, [...ports[1]!.matchAll(/(?:rest|grpc):\s*(\d+)/g)].map((m) => Number(m[1])));
  }
  return used;
}

/**
 * The next free pair of port offsets above every service's (6-9 in this repository, so
 * 10 and 11 next). A service being regenerated with --force keeps its own pair.
 */
export function nextPorts(root: string, service: string): { rest: number; grpc: number } {
  const used = usedPorts(root);
  const own = used.get(service);
  if (own && own.length === 2) return { rest: own[0]!, grpc: own[1]! };
  const taken = [...used.entries()].filter(([name]) => name !== service).flatMap(([, ports]) => ports);
  const next = taken.length === 0 ? 6 : Math.max(...taken) + 1;
  return { rest: next, grpc: next + 1 };
}

/** Refuses a proto package another proto file already declares (codegen would merge the two). */
export function checkProtoPackage(root: string, pkg: string, ownFile: string): void {
  const protos = path.join(root, 'protos');
  if (!existsSync(protos)) return;
  for (const file of readdirSync(protos)) {
    if (!file.endsWith('.proto') || file === path.basename(ownFile)) continue;
    if (new RegExp(`^\\s*package\\s+${pkg}\\s*;`, 'm').test(readFileSync(path.join(protos, file), 'utf8'))) {
      throw new ScaffoldError(`protos/${file} already declares package ${pkg}: choose another service name`);
    }
  }
}

/**
 * The registry with the service added: one line inserted before the closing `} satisfies`
 * of `export const SERVICES = {`. Unchanged when the entry is there already.
 */
export function registryWithService(source: string, service: string): string {
  const key = /^[a-z_][a-z0-9_]*$/.test(service) ? service : `'${service}'`;
  const entry = `  ${key}: () => import('./${service}/index.js'),`;
  if (source.includes(`import('./${service}/index.js')`)) return source;
  const lines = source.split('\n');
  const start = lines.findIndex((line) => /^export const SERVICES = \{\s*$/.test(line));
  const end = lines.findIndex((line, i) => i > start && /^\}( satisfies .*)?;?\s*$/.test(line));
  if (start < 0 || end < 0) {
    throw new ScaffoldError(
      `cannot find \`export const SERVICES = {\` … \`}\` in ${REGISTRY_FILE}: add the line \`${entry.trim()}\` to the services there by hand`,
    );
  }
  lines.splice(end, 0, entry);
  return lines.join('\n');
}

export function readRegistry(root: string): string {
  const file = path.join(root, REGISTRY_FILE);
  if (!existsSync(file)) throw new ScaffoldError(`no ${REGISTRY_FILE} in ${root}: run mgrpc startservice in an mgrpc project (see mgrpc startproject)`);
  return readFileSync(file, 'utf8');
}
