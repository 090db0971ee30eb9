/**
 * The layers import downward only: cli -> bench -> services (each service -> framework). This
 * reads every import of every source and test file under services/, bench/ and cli/ (static,
 * dynamic and re-exports) and fails naming the file, the import and the rule it breaks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Rule {
  /** Which files the rule is about (repository-relative, `/`-separated). */
  from: RegExp;
  /** Imports they must not make (resolved to repository-relative paths). */
  forbidden: RegExp;
  why: string;
}

/** The service folder a path is in (`services/dashboard/...` -> dashboard), if it is a service (contracts/ is what services share, not one). */
const serviceOf = (file: string) => /^services\/(?!framework\/|stubs\/|contracts\/)([^/]+)\//.exec(file)?.[1];

const RULES: Rule[] = [
  {
    from: /^services\/framework\//,
    forbidden: /^(services\/(?!framework\/)|cli\/|bench\/)/,
    why: 'the framework is the lowest layer: it never imports a service, the registry, the stubs, the CLI or the bench',
  },
  { from: /^bench\//, forbidden: /^cli\//, why: 'the bench sits below the CLI (cli -> bench -> framework)' },
  {
    from: /^services\/(?!framework\/|stubs\/)[^/]+\//,
    forbidden: /^(cli|bench)\//,
    why: 'services sit below the CLI and the bench',
  },
];

/** Every .ts/.tsx file under `dir`, repository-relative. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'results') out.push(...sources(rel));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(rel);
    }
  }
  return out;
}

/** The relative imports of `file`, resolved to repository-relative paths. */
function importsOf(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): { spec: string; target: string }[] {
  const specs = [
    ...text.matchAll(/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((m) => m[1]!);
  return specs
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ spec, target: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) }));
}

/** Every broken rule, one line each. */
function violations(files: string[], read?: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const { spec, target } of importsOf(file, read?.(file))) {
      for (const rule of RULES) {
        if (rule.from.test(file) && rule.forbidden.test(target)) found.push(`${file} imports '${spec}': ${rule.why}`);
      }
      const own = serviceOf(file);
      const other = serviceOf(target);
      if (own && other && other !== own) found.push(`${file} imports '${spec}': a service never imports another (${own} -> ${other}); share through the framework or a gRPC call`);
    }
  }
  return found;
}

describe('layering', () => {
  const files = ['services', 'bench', 'cli'].flatMap(sources);

  it('no file imports upward or sideways', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('notices each kind of broken rule (so the check above is not vacuous)', () => {
    const bad: Record<string, string> = {
      'services/framework/x.ts': "import { SERVICES } from '../registry.js';\nconst m = await import('../dashboard/index.js');",
      'services/framework/grpc/y.ts': "export { main } from '../../../cli/main.js';",
      'bench/z.ts': "import { formatTable } from '../cli/client/format.js';",
      'services/dashboard/w.ts': "import '../product/config.js';",
      'services/product/v.ts': "import { runBench } from '../../bench/run.js';",
    };
    const found = violations(Object.keys(bad), (file) => bad[file]!);
    expect(found).toHaveLength(6);
    expect(found.join('\n')).toMatch(/framework\/x\.ts imports '\.\.\/registry\.js'/);
    expect(found.join('\n')).toMatch(/framework\/x\.ts imports '\.\.\/dashboard\/index\.js'/);
    expect(found.join('\n')).toMatch(/grpc\/y\.ts imports '\.\.\/\.\.\/\.\.\/cli\/main\.js'/);
    expect(found.join('\n')).toMatch(/bench\/z\.ts imports .*below the CLI/);
    expect(found.join('\n')).toMatch(/dashboard\/w\.ts imports .*dashboard -> product/);
    expect(found.join('\n')).toMatch(/product\/v\.ts imports .*below the CLI and the bench/);
  });
});
