/**
 * Writing scaffolded files: everything is rendered in memory first, every target is checked,
 * and only then is anything written, so a refused or failed scaffold leaves the project as
 * it was. Existing files are never replaced without `force`.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { ScaffoldError } from './scaffold-error.js';

export interface WritePlan {
  /** Project-relative path -> content of files to create (refused if they exist, unless force). */
  create: Map<string, string>;
  /** Project-relative path -> new content of existing files the scaffold edits (the registry). */
  edit?: Map<string, string>;
  /** Project-relative directories that must not exist yet (unless force): the service folder. */
  freshDirs?: string[];
}

/** Refuses the plan if it would overwrite anything (without force); returns the paths it would write. */
export function checkPlan(root: string, plan: WritePlan, force: boolean): string[] {
  if (!force) {
    const taken = [
      ...(plan.freshDirs ?? []).filter((dir) => existsSync(path.join(root, dir))).map((dir) => `${dir}/`),
      ...[...plan.create.keys()].filter((file) => existsSync(path.join(root, file))),
    ];
    if (taken.length > 0) {
      throw new ScaffoldError(`${taken.slice(0, 5).join(', ')}${taken.length > 5 ? ', …' : ''} already exist${taken.length === 1 && !taken[0]!.endsWith('/') ? 's' : ''}: choose another name, or pass --force to overwrite`);
    }
  }
  return [...plan.create.keys(), ...(plan.edit?.keys() ?? [])];
}

/**
 * Checks the plan, then writes it. Each file goes to a temp name beside it and is renamed
 * into place, so no file is ever left half-written.
 */
export function writePlan(root: string, plan: WritePlan, force: boolean): string[] {
  const paths = checkPlan(root, plan, force);
  const all = new Map([...plan.create, ...(plan.edit ?? [])]);
  for (const [rel, content] of all) {
    const target = path.join(root, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    const temp = `${target}.mgrpc-tmp-${process.pid}`;
    writeFileSync(temp, content);
    renameSync(temp, target);
  }
  return paths;
}
