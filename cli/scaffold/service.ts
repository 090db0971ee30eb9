/**
 * `mgrpc startservice` as a function: validate the name and model spec, pick ports, render
 * the service and its proto, add it to the registry, and write it all (or nothing).
 *
 * @example
 *   startService({ root: process.cwd(), name: 'orders', model: 'Order:title:string,quantity:int' });
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import { parseModelSpec, type ModelSpec } from './fields.js';
import { defaultModelName, serviceNames } from './names.js';
import { checkProtoPackage, nextPorts, readRegistry, registryWithService, REGISTRY_FILE } from './project.js';
import { renderService } from './render.js';
import { writePlan, type WritePlan } from './write.js';

export interface StartServiceOptions {
  /** The project root (holding services/ and protos/). */
  root: string;
  name: string;
  /** `Name:field:type,…`; default: the service's name in PascalCase with one `title:string` field. */
  model?: string;
  force?: boolean;
}

export interface StartedService {
  name: string;
  spec: ModelSpec;
  ports: { rest: number; grpc: number };
  /** Project-relative paths written. */
  files: string[];
}

/** The package a project outside this repository imports the framework from. */
export const FRAMEWORK_PACKAGE = 'mgrpc/framework';

export function planService(options: StartServiceOptions): { plan: WritePlan; spec: ModelSpec; ports: { rest: number; grpc: number } } {
  const root = path.resolve(options.root);
  const service = serviceNames(options.name);
  const spec = parseModelSpec(options.model ?? `${defaultModelName(service)}:title:string`);
  const registry = readRegistry(root);
  const protoFile = `protos/${service.snake}.proto`;
  checkProtoPackage(root, service.snake, protoFile);
  const ports = nextPorts(root, service.name);
  const inRepository = existsSync(path.join(root, 'services/framework/index.ts'));
  const create = renderService({
    service,
    spec,
    ports,
    framework: inRepository ? { kind: 'path', file: 'services/framework/index.js' } : { kind: 'package', specifier: FRAMEWORK_PACKAGE },
  });
  const updated = registryWithService(registry, service.name);
  const edit = new Map(updated === registry ? [] : [[REGISTRY_FILE, updated]]);
  return { plan: { create, edit, freshDirs: [`services/${service.name}`] }, spec, ports };
}

export function startService(options: StartServiceOptions): StartedService {
  const { plan, spec, ports } = planService(options);
  const files = writePlan(path.resolve(options.root), plan, Boolean(options.force));
  return { name: options.name, spec, ports, files };
}
