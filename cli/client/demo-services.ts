/**
 * `mgrpc product …` and `mgrpc user …` talk to mgrpc's demo services, dashboard and product.
 * In a `startproject` project without them, they are hidden from --help and say so when run.
 * Decided from the directory tree alone (no registry import), as it runs for every command.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { Command } from 'commander';

import { projectRoot } from '../context/state-file.js';
import { UsageError } from '../handle-error.js';

const DEMO_SERVICES = ['dashboard', 'product'];

/** The project's name when the working directory is in an mgrpc project without the demo services; else undefined. */
export function projectWithoutDemo(root = projectRoot()): string | undefined {
  let name: string | undefined;
  try {
    name = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
  if (name === 'mgrpc') return undefined;
  const isProject = existsSync(path.join(root, 'services/registry.ts')) || existsSync(path.join(root, 'dist/services/registry.js'));
  if (!isProject) return undefined;
  return DEMO_SERVICES.every((service) => existsSync(path.join(root, 'services', service))) ? undefined : (name ?? path.basename(root));
}

/** Stands in for `mgrpc <verb> …` where the demo services are not: any use is a usage error that says why. */
export function notInThisProject(verb: string, project: string): Command {
  return new Command(verb)
    .description(`mgrpc's demo services only (not in ${project})`)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(() => {
      throw new UsageError(
        `\`mgrpc ${verb}\` talks to mgrpc's demo services (dashboard and product), which project ${project} does not have: ` +
          "use `mgrpc call` and `mgrpc describe` for this project's services, or its REST API",
      );
    });
}
