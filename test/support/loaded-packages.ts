/**
 * What a fresh node process loads: for tests that hold start-up to loading only what it needs.
 * `script` is an ES module body run with `node --input-type=module`; it may call
 * `loadedPackages()` (the npm packages in require's cache, so CommonJS ones, which every
 * heavy library here is) and must print one JSON value on stdout, which is returned parsed.
 *
 * @example
 *   const { loaded } = runScript(`await import(${JSON.stringify(main)}); console.log(JSON.stringify({ loaded: loadedPackages() }));`);
 */
import { execFileSync } from 'node:child_process';

const PRELUDE = `
  import { createRequire as createRequireForLoadedPackages } from 'node:module';
  const loadedPackages = () =>
    [...new Set(Object.keys(createRequireForLoadedPackages(import.meta.url).cache).map((f) => /node_modules[/]((?:@[^/]+[/])?[^/]+)[/]/.exec(f)?.[1]).filter(Boolean))].sort();
`;

export function runScript<T = any>(script: string, env: NodeJS.ProcessEnv = process.env): T {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', `${PRELUDE}\n${script}`], { encoding: 'utf8', env }));
}
