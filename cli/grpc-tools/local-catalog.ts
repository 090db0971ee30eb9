/**
 * The catalog of the protos of the project the CLI stands in: a `startproject` project's own
 * (the descriptor its `mgrpc codegen` embedded in services/stubs, built to dist/), else
 * mgrpc's protos/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { projectRoot } from '../context/state-file.js';
import { UsageError } from '../handle-error.js';
import { projectRegistryPath } from '../project-registry.js';
import { Catalog } from './catalog.js';

type Json = Parameters<typeof Catalog.fromJson>[0];

export async function localCatalog(): Promise<Catalog> {
  if (projectRegistryPath()) {
    const root = projectRoot();
    const built = path.join(root, 'dist/services/stubs/descriptor.js');
    if (!existsSync(built)) {
      throw new UsageError(`this project's stubs are not built (no ${path.relative(root, built)}): run \`npm run build\`, or pass --addr to ask a running server through reflection`);
    }
    const { descriptor } = (await import(pathToFileURL(built).href)) as { descriptor: unknown };
    return Catalog.fromJson(descriptor as Json);
  }
  const { descriptor } = await import('../../services/stubs/descriptor.js');
  return Catalog.fromJson(descriptor as unknown as Json);
}
