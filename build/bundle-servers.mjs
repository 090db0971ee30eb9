// `npm run build`'s last step: the CLI's two serving commands (cli/serve/server-main.ts), as
// tsc built them in dist/, bundled with their dependencies into one CommonJS file,
// dist/bundle/mgrpc.cjs (esbuild). bin/mgrpc.ts runs runserver and grpcrunserver from it through
// cli/serve/bundle.ts, which keeps V8's compiled code for it between starts (Node 20 has no
// module.enableCompileCache): a server that reads one file instead of some 800 and compiles
// little answers health sooner (docs/performance.md, "Cold start"). CommonJS because V8's code
// cache is open to scripts (vm.Script), not to ES modules. Plain .mjs: the build needs no step
// before it.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bundle');
const outfile = path.join(outdir, 'mgrpc.cjs');

// Left to node_modules: native addons found next to their package (sqlite3, pg-native), files a
// package serves from its own folder
// (swagger-ui-dist), optional peers we never install, the terminal UI's ES-only ink and react
// (never used by a server), and the build tools. express is bundled: rest/express.ts loads it
// on first use with a plain require() where there is one, as in this bundle.
// pg is bundled: the framework imports it on first use with import(), which a script run by
// cli/serve/bundle.ts cannot do for a file outside the bundle (only the CLI's other commands,
// never run from the bundle, import such files).
const external = ['moment-timezone/data/packed/latest.json', 'sequelize/package.json', 'sqlite3', 'pg-native', 'pg-hstore', 'swagger-ui-dist', 'react-devtools-core', 'ink', 'react', 'react/jsx-runtime', 'tsx', 'typescript', 'esbuild', 'playwright-core'];

// CommonJS packages that read their own files (grpc-js's and @grpc/reflection's .proto files)
// find them through __dirname, which in a bundle would be dist/bundle. Each use becomes the
// package's real folder, resolved where the package is installed when the code runs.
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const match = /^(.*[\\/]node_modules[\\/])((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](.*)$/.exec(args.path);
      if (!match) return undefined;
      const [, , pkg, rest] = match;
      const sub = path.dirname(rest).split(path.sep).join('/');
      const replaced = source.replace(/\b__dirname\b/g, `__mgrpcPackageDir(${JSON.stringify(pkg.split(path.sep).join('/'))}, ${JSON.stringify(sub)})`);
      return { contents: replaced, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

// Sequelize's moment-timezone, with its zone data read on first use instead of at every
// start (build/shims/moment-timezone.cjs). The shim's own require of the library's core
// file is not matched here.
const lazyZones = {
  name: 'lazy-zones',
  setup(build) {
    build.onResolve({ filter: /^moment-timezone$/ }, () => ({ path: path.join(root, 'build/shims/moment-timezone.cjs') }));
  },
};

// The file is the function CommonJS would wrap it in (cli/serve/bundle.ts runs it with
// vm.Script): no 5 MB string to build at every start. Our ES modules' import.meta becomes
// the bundle's own file (createRequire(import.meta.url) then resolves packages from
// dist/bundle/, as it would from dist/).
const banner = [
  '(function (exports, require, module, __filename, __dirname) {',
  "const __mgrpcImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
  "const __mgrpcPackageDir = (pkg, sub) => require('node:path').join(require('node:path').dirname(require.resolve(`${pkg}/package.json`)), sub);",
].join('\n');

const started = performance.now();
// A fresh bundle: the compile caches of the old one (cli/serve/bundle.ts) go with it.
await rm(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [path.join(root, 'dist/cli/serve/server-main.js')],
  // Whitespace only: names stay as they are in stack traces and logs.
  minifyWhitespace: true,
  // ASCII (the rest escaped below): read as one-byte text, a string V8 stores and scans at
  // half the size of a two-byte one.
  charset: 'ascii',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile,
  external,
  define: { 'import.meta.url': '__mgrpcImportMetaUrl', 'import.meta.dirname': '__dirname' },
  plugins: [ownDirname, lazyZones],
  banner: { js: banner },
  footer: { js: '\n})' },
  metafile: true,
  logLevel: 'warning',
});
// esbuild leaves non-ASCII characters in regular expression literals (validator's alphabets):
// each becomes its \uXXXX escape, which means the same there (and in a string, and a comment).
const text = await readFile(outfile, 'utf8');
const escaped = text.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
await writeFile(outfile, escaped);
const inputs = Object.keys(result.metafile.inputs).length;
process.stdout.write(`bundled dist/cli/serve/server-main.js and ${inputs - 1} more files into ${path.relative(root, outfile)} in ${Math.round(performance.now() - started)} ms\n`);
