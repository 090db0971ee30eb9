/**
 * Where a service's migration sources live and how a new one joins them: the next number
 * after the highest file, and a line in migrations/index.ts (its import, and its name at
 * the end of the `migrations` array), so a generated migration needs no hand edit.
 * The sources are the current project's (`mgrpc startproject`) or, in mgrpc's own
 * checkout, this repository's.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { projectRoot } from '../context/state-file.js';
import { projectRegistryPath } from '../project-registry.js';
import { packageRoot } from '../scaffold/render.js';
import { MigrationError } from './migration-error.js';

const ARRAY = /export const migrations: Migration\[\] = \[([^\]]*)\];/;

export interface MigrationsFolder {
  /** The repository or project root. */
  root: string;
  dir: string;
  /** Where `Migration` is imported from in index.ts (`mgrpc/framework`, `../../framework/index.js`). */
  frameworkImport: string;
  nextNumber: string;
}

/** The root whose services/ holds the sources of the services the CLI runs. */
export function sourceRoot(): string {
  return projectRegistryPath() ? projectRoot() : packageRoot();
}

export function migrationsFolder(service: string, root = sourceRoot()): MigrationsFolder {
  const dir = path.join(root, 'services', service, 'migrations');
  const index = path.join(dir, 'index.ts');
  if (!existsSync(index)) throw new MigrationError(`no ${path.relative(root, index)}: makemigrations writes next to the sources of service ${service}, which are not in ${root}`);
  const text = readFileSync(index, 'utf8');
  const framework = /import type \{ Migration \} from '([^']+)';/.exec(text)?.[1];
  if (!framework || !ARRAY.test(text)) {
    throw new MigrationError(
      `${path.relative(root, index)} is not in the shape makemigrations extends: it needs \`import type { Migration } from '…';\` and \`export const migrations: Migration[] = [ … ];\``,
    );
  }
  const numbers = readdirSync(dir)
    .map((file) => /^(\d{4})-[\w-]+\.ts$/.exec(file)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
  return { root, dir, frameworkImport: framework, nextNumber: String(Math.max(0, ...numbers) + 1).padStart(4, '0') };
}

const camel = (slug: string) => slug.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Writes `<number>-<slug>.ts` and registers it in index.ts; returns the file's path. */
export function addMigration(folder: MigrationsFolder, slug: string, render: (name: string, exported: string) => string): string {
  const index = path.join(folder.dir, 'index.ts');
  const text = readFileSync(index, 'utf8');
  const name = `${folder.nextNumber}-${slug}`;
  // Two migrations may share a slug (add-x, later remove-x and add-x again): the number tells them apart.
  const exported = new RegExp(`\\b${camel(slug)}\\b`).test(text) ? `${camel(slug)}${folder.nextNumber}` : camel(slug);
  const file = path.join(folder.dir, `${name}.ts`);
  writeFileSync(file, render(name, exported));
  const lines = text.split('\n');
  const lastImport = lines.reduce((last, line, i) => (/^import .* from '\.\/[^']+';$/.test(line) ? i : last), -1);
  lines.splice(lastImport + 1, 0, `import { ${exported} } from './${name}.js';`);
  const updated = lines.join('\n').replace(ARRAY, (_, items: string) => {
    const list = items.trim().replace(/,\s*$/, '');
    return `export const migrations: Migration[] = [${list ? `${list}, ` : ''}${exported}];`;
  });
  writeFileSync(index, updated);
  return file;
}

/** Every .ts source of the service, newest first, against its build: a project runs from dist/, so a change not built yet is not seen. */
export function assertBuilt(service: string): void {
  if (!projectRegistryPath()) return;
  const root = projectRoot();
  const walk = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)])) : [];
  for (const source of walk(path.join(root, 'services', service))) {
    if (!source.endsWith('.ts') || source.endsWith('.test.ts') || source.endsWith('.d.ts')) continue;
    const built = path.join(root, 'dist', path.relative(root, source)).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
      throw new MigrationError(`${path.relative(root, source)} changed since the last build: run \`npm run build\` first (the CLI runs this project's services from dist/)`);
    }
  }
}
