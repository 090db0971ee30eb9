/** Where the bench finds the repository, the built CLI and the protos, from dist/bench or bench/. */
import { existsSync } from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot(import.meta.dirname);
export const CLI = path.join(ROOT, 'dist/bin/mgrpc.js');
export const PROTO_DIR = path.join(ROOT, 'protos');
/** This folder's compiled files (load.js, bare/*.js). */
export const BENCH_DIST = path.join(ROOT, 'dist/bench');
