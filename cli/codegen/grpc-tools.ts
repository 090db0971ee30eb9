/**
 * The `grpc-tools` backend of `mgrpc codegen`: static stubs as most Node gRPC teams have them.
 * grpc-tools' own `grpc_tools_node_protoc` runs protoc with
 *  - `--js_out=import_style=commonjs,binary` (google-protobuf message classes, `*_pb.js`),
 *  - `--grpc_out=grpc_js` (grpc_node_plugin: service definitions and clients, `*_grpc_pb.js`),
 *  - `--ts_out=grpc_js` (grpc_tools_node_protoc_ts' protoc-gen-ts: `*_pb.d.ts`, `*_grpc_pb.d.ts`),
 * and mgrpc adds what makes the output an npm package: package.json, index.js/index.d.ts, README.
 *
 * int64 rule: protoc's JavaScript turns a 64-bit integer into a JS number (precision lost past
 * 2^53) unless the field says `[jstype = JS_STRING]`. Every 64-bit integer field without a
 * jstype of its own is given JS_STRING on the copy protoc reads, so `getLikes()` is a decimal
 * string, as the proto-loader backend's `longs: String`. protos/ is not changed, and jstype is
 * not on the wire: the bytes are those of any other peer.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { GENERATED_HEADER, collectServices, identifier, listFiles, listProtoFiles, parseProtos, schemaVersion, type GeneratedStubs } from './generate.js';
import { MissingToolError, packageDir } from './optional-tool.js';

export const GRPC_TOOLS_INSTALL = 'npm i -D grpc-tools grpc_tools_node_protoc_ts google-protobuf';
/** The runtimes the generated code requires: peers, so the app's one copy of each is used. */
const PEERS = { '@grpc/grpc-js': '^1.8.0', 'google-protobuf': '^3.21.2' };

export interface GrpcToolsOptions {
  /** The npm name of the stub package (default `stubs`). */
  packageName?: string;
  /** Where grpc-tools is looked up (default: the current directory, then mgrpc's own install). */
  from?: string;
}

interface Tools {
  protocJs: string;
  protocGenTs: string;
}

/** Finds grpc_tools_node_protoc and protoc-gen-ts, or says in one line what to install. */
export function findGrpcTools(from?: string): Tools {
  const grpcTools = packageDir('grpc-tools', from);
  const tsPlugin = packageDir('grpc_tools_node_protoc_ts', from);
  const missing = [grpcTools ? undefined : 'grpc-tools', tsPlugin ? undefined : 'grpc_tools_node_protoc_ts'].filter(Boolean);
  if (missing.length > 0) {
    throw new MissingToolError(`--backend grpc-tools needs ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed`, `install with ${GRPC_TOOLS_INSTALL}`);
  }
  // grpc-tools' install step downloads these two; with --ignore-scripts or an unreachable host they are absent.
  for (const binary of ['protoc', 'grpc_node_plugin']) {
    const file = path.join(grpcTools!, 'bin', binary + (process.platform === 'win32' ? '.exe' : ''));
    if (!existsSync(file)) {
      throw new MissingToolError(
        `grpc-tools is installed without its ${binary} (${file}), which its install step downloads`,
        'reinstall it where the download works: npm rebuild grpc-tools',
      );
    }
  }
  return { protocJs: path.join(grpcTools!, 'bin/protoc.js'), protocGenTs: path.join(tsPlugin!, 'bin/protoc-gen-ts') };
}

const INT64_FIELD = /^(\s*(?:optional\s+|repeated\s+|required\s+)?(?:u?int64|s?fixed64|sint64)\s+\w+\s*=\s*\d+)\s*(?:\[([^\]]*)\])?\s*;/;

/**
 * The int64 rule (see above) on one proto's source: each 64-bit integer field declared on one
 * line and without a jstype gets `jstype = JS_STRING`. Lines keep their numbers, so protoc's
 * errors point at the user's file.
 */
export function withStringInt64(source: string): string {
  return source
    .split('\n')
    .map((line) =>
      line.replace(INT64_FIELD, (whole, field: string, options: string | undefined) => {
        if (options === undefined) return `${field} [jstype = JS_STRING];`;
        return /\bjstype\b/.test(options) ? whole : `${field} [jstype = JS_STRING, ${options.trim()}];`;
      }),
    )
    .join('\n');
}

function protoc(tools: Tools, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tools.protocJs, `--plugin=protoc-gen-ts=${tools.protocGenTs}`, ...args], { cwd }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      // grpc_tools_node_protoc rethrows protoc's failure with a stack: keep protoc's own lines.
      const lines = stderr.split('\n').filter((line) => /\.proto:\d+(:\d+)?:|^--\w+_out:|^protoc-gen-\w+:/.test(line));
      reject(new Error(`grpc_tools_node_protoc failed: ${lines.length > 0 ? lines.join('; ') : stderr.trim().split('\n')[0]}`));
    });
  });
}

/** `a.b` -> `a_b`, the package's key in index.js; protos without a package go under their file name. */
function exportKey(packageName: string, file: string): string {
  return identifier(packageName || path.posix.basename(file, '.proto'));
}

/** The proto files of each export key of index.js (their proto package), extensionless. */
function groupByPackage(sources: Map<string, string>): Map<string, string[]> {
  const byPackage = new Map<string, string[]>();
  for (const [file, source] of sources) {
    const key = exportKey(/^\s*package\s+([\w.]+)\s*;/m.exec(source)?.[1] ?? '', file);
    byPackage.set(key, [...(byPackage.get(key) ?? []), file.replace(/\.proto$/, '')]);
  }
  return byPackage;
}

function renderPackageFiles(byPackage: Map<string, string[]>, withGrpc: Set<string>, options: { name: string; version: string }) {
  // A proto's generated modules: its messages, and its services when it has any.
  const modulesOf = (base: string) => [`${base}_pb`, ...(withGrpc.has(base) ? [`${base}_grpc_pb`] : [])];
  const modules = [...byPackage.values()].flat().flatMap(modulesOf);
  const exportsMap: Record<string, unknown> = { '.': { types: './index.d.ts', default: './index.js' } };
  for (const module of modules) {
    const target = { types: `./${module}.d.ts`, default: `./${module}.js` };
    exportsMap[`./${module}`] = target;
    exportsMap[`./${module}.js`] = target;
  }
  exportsMap['./package.json'] = './package.json';
  const packageJson = {
    name: options.name,
    version: options.version,
    description: 'gRPC stubs generated by `mgrpc codegen --backend grpc-tools` (grpc-tools, grpc_tools_node_protoc_ts). Do not edit.',
    type: 'commonjs',
    main: './index.js',
    types: './index.d.ts',
    exports: exportsMap,
    peerDependencies: PEERS,
  };
  const js = [...byPackage].map(([key, bases]) => {
    const parts = bases.flatMap(modulesOf).map((module) => `require('./${module}.js')`);
    return `exports.${key} = Object.assign({}, ${parts.join(', ')});`;
  });
  const dts = [...byPackage].flatMap(([key, bases]) => {
    const imported = bases.flatMap(modulesOf);
    return [
      ...imported.map((module) => `import * as ${identifier(module)} from './${module}';`),
      `export declare const ${key}: ${imported.map((module) => `typeof ${identifier(module)}`).join(' & ')};`,
    ];
  });
  const keys = [...byPackage.keys()];
  const readme = `# ${options.name}

Generated by \`mgrpc codegen --backend grpc-tools\` from protos/. Do not edit: change the \`.proto\` files and
regenerate.

Static gRPC stubs as grpc-tools writes them (\`*_pb.js\` message classes on google-protobuf, \`*_grpc_pb.js\`
services and clients on @grpc/grpc-js) with grpc_tools_node_protoc_ts typings. CommonJS; \`import\` works
from ES modules too. 64-bit integers are decimal strings (\`jstype = JS_STRING\`).

\`\`\`sh
npm install @grpc/grpc-js google-protobuf ${options.name}
\`\`\`

\`\`\`js
const grpc = require('@grpc/grpc-js');
const { ${keys.join(', ')} } = require('${options.name}');
\`\`\`

Each proto package is one export (${keys.map((key) => `\`${key}\``).join(', ')}) holding its message classes, its
\`<Service>Service\` definitions and \`<Service>Client\` constructors; the files are importable by their own
names too (\`${options.name}/${modules[0] ?? 'x_pb'}\`). \`@grpc/grpc-js\` and \`google-protobuf\` are peer dependencies:
the app's one copy of each is used (two copies of google-protobuf break its \`instanceof\` checks).
`;
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'index.js': `${GENERATED_HEADER}'use strict';\n\n${js.join('\n')}\n`,
    'index.d.ts': `${GENERATED_HEADER}${dts.join('\n')}\n`,
    'README.md': readme,
  };
}

/**
 * Generates the static stub package for every .proto under `protoDirArg`.
 * Throws ProtoSyntaxError (file:line) for a proto that does not parse, MissingToolError when
 * grpc-tools or its binaries are not installed.
 * @example await generateGrpcToolsStubs('protos', { packageName: '@shop/stubs' })
 */
export async function generateGrpcToolsStubs(protoDirArg: string, options: GrpcToolsOptions = {}): Promise<GeneratedStubs> {
  const protoDir = path.resolve(protoDirArg);
  const protoFiles = await listProtoFiles(protoDir);
  // Our parser first: its errors are `protos/file.proto:line: reason` for both backends.
  const root = parseProtos(protoDir, protoFiles);
  const services = collectServices(root);
  const tools = findGrpcTools(options.from);

  const files = new Map<string, string>();
  const sourcesByFile = new Map<string, string>();
  const scratch = await mkdtemp(path.join(tmpdir(), 'mgrpc-codegen-static-'));
  try {
    const sources = path.join(scratch, 'protos');
    const out = path.join(scratch, 'out');
    await mkdir(out);
    for (const file of protoFiles) {
      const source = await readFile(path.join(protoDir, file), 'utf8');
      sourcesByFile.set(file, source);
      await mkdir(path.dirname(path.join(sources, file)), { recursive: true });
      await writeFile(path.join(sources, file), withStringInt64(source));
    }
    await protoc(tools, [`--js_out=import_style=commonjs,binary:${out}`, `--grpc_out=grpc_js:${out}`, `--ts_out=grpc_js:${out}`, '-I', sources, ...protoFiles], sources);
    for (const rel of await listFiles(out)) files.set(rel, await readFile(path.join(out, rel), 'utf8'));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  // grpc_node_plugin writes an (empty) *_grpc_pb.js only for files with services.
  const withGrpc = new Set(protoFiles.map((file) => file.replace(/\.proto$/, '')).filter((base) => files.has(`${base}_grpc_pb.js`)));
  const extra = renderPackageFiles(groupByPackage(sourcesByFile), withGrpc, {
    name: options.packageName ?? 'stubs',
    version: await schemaVersion(protoDir, protoFiles),
  });
  for (const [rel, content] of Object.entries(extra)) files.set(rel, content);
  return { files: new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b))), services };
}
