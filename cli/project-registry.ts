/**
 * Which services the CLI runs: the current project's, when the current directory is an mgrpc
 * project (made by `mgrpc startproject`, built to dist/services/registry.js), else this
 * package's own (dashboard and product).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { ServiceModule } from '../services/framework/service-module.js';
import { projectRoot } from './context/state-file.js';

export interface Registry {
  SERVICE_NAMES: readonly string[];
  loadService(name: string): Promise<ServiceModule<any>>;
}

/** The built registry of the project in `dir` (default: the one the working directory is in), if it is a project other than mgrpc itself. */
export function projectRegistryPath(dir = projectRoot()): string | undefined {
  const pkg = path.join(dir, 'package.json');
  if (!existsSync(pkg)) return undefined;
  try {
    if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mgrpc') return undefined;
  } catch {
    return undefined;
  }
  const source = path.join(dir, 'services/registry.ts');
  const built = path.join(dir, 'dist/services/registry.js');
  if (existsSync(built)) return built;
  if (existsSync(source)) throw new Error(`this project's services are not built (no ${path.relative(dir, built)}): run \`npm run build\` first`);
  return undefined;
}

export async function loadRegistry(): Promise<Registry> {
  const project = projectRegistryPath();
  if (project) return (await import(pathToFileURL(project).href)) as Registry;
  return import('../services/registry.js');
}
