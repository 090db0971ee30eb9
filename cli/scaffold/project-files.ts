/**
 * `mgrpc startproject` as a function: a new directory holding an mgrpc project (package.json
 * depending on mgrpc, tsconfig, protos/, services/ with a registry, .env.example,
 * docker-compose.yml, README) and a first service, so `npm install && npm start` runs it.
 *
 * @example
 *   startProject({ dir: '../shop', service: 'orders', model: 'Order:title:string' });
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { parseModelSpec } from './fields.js';
import { defaultModelName, serviceNames } from './names.js';
import { packageRoot, renderTree, templatesDir } from './render.js';
import { ScaffoldError } from './scaffold-error.js';
import { startService, type StartedService } from './service.js';
import { seedSqlitePrebuild } from './sqlite-prebuild.js';
import { writePlan } from './write.js';

export interface StartProjectOptions {
  dir: string;
  /** How package.json depends on mgrpc (default: `file:` this mgrpc checkout, as mgrpc is not published). */
  mgrpcSpec?: string;
  /** The first service (default: items). */
  service?: string;
  model?: string;
  force?: boolean;
}

/** Template files named without their leading dot, so npm and editors leave them alone. */
const DOTFILES: Record<string, string> = { gitignore: '.gitignore', 'env.example': '.env.example', npmrc: '.npmrc' };

/** The libraries generated code imports itself, at the versions mgrpc is built with. */
const RUNTIME_DEPENDENCIES = ['@grpc/grpc-js', '@grpc/proto-loader', 'express', 'sequelize', 'zod'];
const DEV_DEPENDENCIES = ['@types/express', '@types/node', 'typescript', 'vitest'];

function packageJson(name: string, mgrpcSpec: string): string {
  const ours = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    engines: Record<string, string>;
    allowScripts: Record<string, boolean>;
  };
  const pick = (names: string[], from: Record<string, string>) => Object.fromEntries(names.map((n) => [n, from[n]!]));
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: ours.engines,
    scripts: {
      build: 'mgrpc codegen && tsc -p tsconfig.json',
      prepare: 'npm run build',
      start: 'mgrpc up',
      test: 'npm run build && vitest run',
    },
    dependencies: { mgrpc: mgrpcSpec, ...pick(RUNTIME_DEPENDENCIES, ours.dependencies) },
    devDependencies: pick(DEV_DEPENDENCIES, ours.devDependencies),
    // npm 11's allow list of install scripts, so `npm install` runs these without a warning:
    // mgrpc's own (prepare builds it) and those of its dependencies, as mgrpc's package.json allows them.
    // npm names a dependency that is not from the registry by its spec (`file:/path/to/mgrpc`).
    allowScripts: { [/^[a-z+]+:/.test(mgrpcSpec) ? mgrpcSpec : 'mgrpc']: true, ...ours.allowScripts },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function startProject(options: StartProjectOptions): { dir: string; files: string[]; service: StartedService; sqlite: ReturnType<typeof seedSqlitePrebuild> } {
  const dir = path.resolve(options.dir);
  const name = path.basename(dir);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name) || name.length > 214) {
    throw new ScaffoldError(`invalid project directory name '${name}': npm package names are lower-case letters, digits, ., - and _`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0 && !options.force) {
    throw new ScaffoldError(`${options.dir} exists and is not empty: choose a new directory, or pass --force to write into it`);
  }
  // Checked before anything is written, so a bad first service leaves no half-made project.
  const service = serviceNames(options.service ?? 'items');
  const model = options.model ?? `${defaultModelName(service)}:title:string,note:text?`;
  parseModelSpec(model);

  const rendered = renderTree(path.join(templatesDir(), 'project'), '', {
    tokens: { project: name, MGRPC_SPEC: options.mgrpcSpec ?? `file:${packageRoot()}` },
    blocks: {},
  });
  const create = new Map([...rendered].map(([rel, content]) => [DOTFILES[rel] ?? rel, content]));
  create.set('package.json', packageJson(name, options.mgrpcSpec ?? `file:${packageRoot()}`));
  create.set('protos/README.md', '# protos\n\nThe .proto sources of truth. `mgrpc codegen` compiles them into `services/stubs`.\n');
  const files = writePlan(dir, { create }, Boolean(options.force));
  const started = startService({ root: dir, name: service.name, model, force: options.force });
  const sqlite = seedSqlitePrebuild(packageRoot());
  return { dir, files: [...files, ...started.files.filter((f) => !files.includes(f))], service: started, sqlite };
}
