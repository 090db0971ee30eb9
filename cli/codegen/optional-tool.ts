/**
 * Tools `mgrpc codegen` uses only when asked (grpc-tools, grpc_tools_node_protoc_ts, buf) are
 * not dependencies of mgrpc: grpc-tools' install downloads binaries and fails where that host
 * is unreachable, and buf's binary is 90 MB. The project that asks for them installs them;
 * they are looked up from the current directory first (the user's project), then from mgrpc's
 * own install.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

import { UsageError } from '../handle-error.js';

/** A tool the user asked for is not installed: one line naming it and the install command, exit 2. */
export class MissingToolError extends UsageError {
  constructor(what: string, install: string) {
    super(`${what}: ${install}`);
    this.name = 'MissingToolError';
  }
}

/**
 * The directory of an installed npm package, or undefined.
 * @example packageDir('grpc-tools') // '/app/node_modules/grpc-tools'
 */
export function packageDir(name: string, from: string = process.cwd()): string | undefined {
  for (const base of [path.join(path.resolve(from), 'package.json'), import.meta.filename]) {
    try {
      return path.dirname(createRequire(base).resolve(`${name}/package.json`));
    } catch {
      // not installed there; try the next place
    }
  }
  return undefined;
}
