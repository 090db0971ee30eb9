/**
 * `mgrpc codegen --backend grpc-tools` and `--breaking` as a user runs them (the built CLI,
 * `npm run build` first), in a project where grpc-tools, grpc_tools_node_protoc_ts and buf are
 * installed (test/support/grpc-tools-kit.ts), and in one where they are not.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { grpcToolsKit, type GrpcToolsKit } from '../../test/support/grpc-tools-kit.js';
import { withStringInt64 } from './grpc-tools.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/bin/mgrpc.js');
const STANDARD_FILES = ['product', 'product_receiver', 'user'].flatMap((base) =>
  [`${base}_pb`, `${base}_grpc_pb`].flatMap((module) => [`${module}.js`, `${module}.d.ts`]),
);

let kit: GrpcToolsKit;
let tmp: string;
/** Stubs generated once from the repository's protos, inside the kit (so its runtimes resolve). */
let stubs: string;

function mgrpc(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, MGRPC_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: the --breaking cases run side by side. */
function mgrpcAsync(cwd: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, MGRPC_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  kit = await grpcToolsKit();
  tmp = mkdtempSync(path.join(tmpdir(), 'mgrpc-static-codegen-'));
  stubs = mkdtempSync(path.join(kit.dir, 'stubs-unit-'));
  const started = performance.now();
  const r = mgrpc(kit.dir, 'codegen', '--backend', 'grpc-tools', '--protos', path.join(ROOT, 'protos'), '--out', stubs, '--package-name', '@shop/stubs');
  console.log(`codegen --backend grpc-tools of protos/ took ${Math.round(performance.now() - started)} ms (CLI run, node start included)`);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  // Unset when the kit could not be installed: that failure is the one to read.
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (stubs) rmSync(stubs, { recursive: true, force: true });
});

describe('mgrpc codegen --backend grpc-tools', () => {
  it("writes grpc-tools' standard files and an npm package around them, deterministically", () => {
    const files = readdirSync(stubs).sort();
    expect(files).toEqual([...STANDARD_FILES, 'README.md', 'index.d.ts', 'index.js', 'package.json'].sort());
    const pkg = JSON.parse(readFileSync(path.join(stubs, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: '@shop/stubs', type: 'commonjs', main: './index.js', types: './index.d.ts' });
    expect(pkg.version).toMatch(/^0\.0\.0-protos\.[0-9a-f]{12}$/);
    expect(Object.keys(pkg.peerDependencies)).toEqual(['@grpc/grpc-js', 'google-protobuf']);
    expect(pkg.exports['./product_grpc_pb']).toEqual({ types: './product_grpc_pb.d.ts', default: './product_grpc_pb.js' });
    expect(readFileSync(path.join(stubs, 'product_grpc_pb.js'), 'utf8')).toContain("require('@grpc/grpc-js')");

    const check = mgrpc(kit.dir, 'codegen', '--backend', 'grpc-tools', '--protos', path.join(ROOT, 'protos'), '--out', stubs, '--package-name', '@shop/stubs', '--check');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('up to date');
  });

  it('--check names what a proto change made stale and the command that regenerates it, and writes nothing', () => {
    const protos = path.join(tmp, 'protos-check');
    cpSync(path.join(ROOT, 'protos'), protos, { recursive: true });
    const file = path.join(protos, 'user.proto');
    writeFileSync(file, readFileSync(file, 'utf8').replace('string id = 1;', 'string id = 1;\n  string name = 2;'));
    const before = readFileSync(path.join(stubs, 'user_pb.js'), 'utf8');
    const stale = mgrpc(kit.dir, 'codegen', '--backend', 'grpc-tools', '--protos', protos, '--out', stubs, '--package-name', '@shop/stubs', '--check');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/stale: package\.json, user_pb\.d\.ts, user_pb\.js\n/);
    expect(stale.stderr).toContain('run `mgrpc codegen --backend grpc-tools`');
    expect(readFileSync(path.join(stubs, 'user_pb.js'), 'utf8')).toBe(before);
  });

  it('types int64 as decimal strings (jstype = JS_STRING on the copy protoc reads; protos/ unchanged)', () => {
    expect(readFileSync(path.join(stubs, 'product_pb.d.ts'), 'utf8')).toContain('getLikes(): string;');
    expect(readFileSync(path.join(ROOT, 'protos/product.proto'), 'utf8')).toContain('int64 likes = 4;');
    expect(withStringInt64('  int64 likes = 4;\n  repeated uint64 ids = 5 [packed = true];\n  sfixed64 n = 6 [jstype = JS_NUMBER];\n  // int64 old = 7')).toBe(
      '  int64 likes = 4 [jstype = JS_STRING];\n  repeated uint64 ids = 5 [jstype = JS_STRING, packed = true];\n  sfixed64 n = 6 [jstype = JS_NUMBER];\n  // int64 old = 7',
    );
  });

  it('loads from an ES module, with one google-protobuf shared by every generated file', () => {
    const script = `
      import { createRequire } from 'node:module';
      import { product, user } from ${JSON.stringify(path.join(stubs, 'index.js'))};
      const require = createRequire(${JSON.stringify(path.join(stubs, 'product_pb.js'))});
      const p = new product.Product().setId('x').setLikes('9007199254740993');
      console.log(JSON.stringify({
        likes: product.Product.deserializeBinary(p.serializeBinary()).getLikes(),
        client: typeof product.ProductServiceClient, user: typeof user.UserServiceService.getUser,
        jspb: require.resolve('google-protobuf') === createRequire(${JSON.stringify(path.join(kit.dir, 'package.json'))}).resolve('google-protobuf'),
      }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: kit.dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ likes: '9007199254740993', client: 'function', user: 'object', jspb: true });
  });

  it('encodes every request and response byte for byte as the proto-loader backend does', async () => {
    const { packageDefinition } = await import('../../services/stubs/index.js');
    const { product, product_receiver: receiver, user } = kit.require(stubs);
    const big = '9007199254740993'; // 2^53 + 1: a JS number would read 9007199254740992
    const staticProduct = () => new product.Product().setId('p-1').setTitle('Lamp').setImage('http://img/l.png').setLikes(big);
    const loaderProduct = { id: 'p-1', title: 'Lamp', image: 'http://img/l.png', likes: big };
    const staticReceiver = () => new receiver.ProductReceiver().setProductId('p-2').setTitle('Desk');
    const loaderReceiver = { productId: 'p-2', title: 'Desk' };
    type Side = 'request' | 'response';
    const cases: [string, string, Side, unknown, { serializeBinary(): Uint8Array }][] = [
      ['product.ProductService', 'LikeProduct', 'request', { id: 'p-1', userId: 'u-1' }, new product.LikeProductRequest().setId('p-1').setUserId('u-1')],
      ['product.ProductService', 'LikeProduct', 'response', { product: loaderProduct }, new product.LikeProductResponse().setProduct(staticProduct())],
      [
        'product.ProductService',
        'LikeProducts',
        'request',
        { likes: [{ id: 'p-1', idempotencyKey: 'k-1', userId: 'u-1' }, { id: 'p-2' }] },
        new product.LikeProductsRequest().setLikesList([
          new product.KeyedLike().setId('p-1').setIdempotencyKey('k-1').setUserId('u-1'),
          new product.KeyedLike().setId('p-2'),
        ]),
      ],
      [
        'product.ProductService',
        'LikeProducts',
        'response',
        { outcomes: [{ product: loaderProduct }, { error: { code: 5, message: 'no such product' } }] },
        new product.LikeProductsResponse().setOutcomesList([
          new product.LikeOutcome().setProduct(staticProduct()),
          new product.LikeOutcome().setError(new product.LikeError().setCode(5).setMessage('no such product')),
        ]),
      ],
      ['user.UserService', 'GetUser', 'request', {}, new user.GetUserRequest()],
      ['user.UserService', 'GetUser', 'response', { id: 'u-1' }, new user.GetUserResponse().setId('u-1')],
      [
        'product_receiver.ProductReceiverService',
        'CreateProductFromReceiver',
        'request',
        { productReceiver: loaderReceiver },
        new receiver.CreateProductFromReceiverRequest().setProductReceiver(staticReceiver()),
      ],
      ['product_receiver.ProductReceiverService', 'Update', 'response', { productReceiver: loaderReceiver }, new receiver.UpdateByIdResponse().setProductReceiver(staticReceiver())],
      ['product_receiver.ProductReceiverService', 'Delete', 'request', { productId: 'p-2' }, new receiver.DeleteByIdRequest().setProductId('p-2')],
    ];
    for (const [service, method, side, loaderValue, staticMessage] of cases) {
      const definition = (packageDefinition as Record<string, Record<string, { requestSerialize(v: unknown): Buffer; responseSerialize(v: unknown): Buffer }>>)[service][method];
      const loaderBytes = side === 'request' ? definition.requestSerialize(loaderValue) : definition.responseSerialize(loaderValue);
      expect(Buffer.from(staticMessage.serializeBinary()).toString('hex'), `${service}/${method} ${side}`).toBe(loaderBytes.toString('hex'));
    }
    const likeProduct = (packageDefinition as any)['product.ProductService'].LikeProduct;
    // And the other way: the proto-loader backend's bytes read back by the static classes, 2^53 + 1 intact.
    const bytes = likeProduct.responseSerialize({ product: loaderProduct });
    expect(product.LikeProductResponse.deserializeBinary(bytes).getProduct().toObject()).toEqual(loaderProduct);

    // A field set to its default ('' or 0) is left out by both, as proto3's canonical encoding
    // says (the proto-loader stubs drop it before protobufjs writes: canonical.ts); a oneof
    // member is kept at its default by both.
    const withEmpty = { product: { ...loaderProduct, image: '' } };
    const loaderEmpty = likeProduct.responseSerialize(withEmpty);
    const staticEmpty = Buffer.from(new product.LikeProductResponse().setProduct(staticProduct().setImage('')).serializeBinary());
    expect(loaderEmpty.toString('hex')).toBe(staticEmpty.toString('hex'));
    expect(product.LikeProductResponse.deserializeBinary(loaderEmpty).toObject()).toEqual(withEmpty);
    expect(likeProduct.responseDeserialize(staticEmpty)).toEqual(withEmpty);
    const likeProducts = (packageDefinition as any)['product.ProductService'].LikeProducts;
    const zeroError = likeProducts.responseSerialize({ outcomes: [{ error: { code: 0, message: '' } }] });
    const staticZeroError = Buffer.from(new product.LikeProductsResponse().setOutcomesList([new product.LikeOutcome().setError(new product.LikeError())]).serializeBinary());
    expect(zeroError.toString('hex')).toBe(staticZeroError.toString('hex'));
  });

  it('--watch regenerates on a change and exits 0 on Ctrl-C', async () => {
    const protos = path.join(tmp, 'protos-watch');
    cpSync(path.join(ROOT, 'protos'), protos, { recursive: true });
    const out = path.join(tmp, 'static-watch');
    const child = spawn(process.execPath, [CLI, 'codegen', '--backend', 'grpc-tools', '--watch', '--protos', protos, '--out', out], { cwd: kit.dir });
    let stdout = '';
    const runs = (n: number) =>
      new Promise<void>((resolve) => {
        const look = () => stdout.split('\n').filter((line) => line.includes('] generated')).length >= n && resolve();
        child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), look()));
        look();
      });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await runs(1);
    const file = path.join(protos, 'user.proto');
    writeFileSync(file, readFileSync(file, 'utf8').replace('string id = 1;', 'string id = 1;\n  string nickname = 2;'));
    await runs(2);
    expect(readFileSync(path.join(out, 'user_pb.d.ts'), 'utf8')).toContain('getNickname(): string;');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('without the tools', () => {
  it('names what is missing and the install command in one line, exit 2', () => {
    const bare = path.join(tmp, 'bare');
    mkdirSync(bare, { recursive: true });
    writeFileSync(path.join(bare, 'package.json'), '{"name":"bare","private":true}');
    const r = mgrpc(bare, 'codegen', '--backend', 'grpc-tools', '--protos', path.join(ROOT, 'protos'), '--out', 'stubs');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: --backend grpc-tools needs grpc-tools and grpc_tools_node_protoc_ts, which are not installed: install with npm i -D grpc-tools grpc_tools_node_protoc_ts google-protobuf\n',
    );
    const buf = mgrpc(bare, 'codegen', '--breaking', '--protos', path.join(ROOT, 'protos'));
    expect(buf.code).toBe(2);
    expect(buf.stderr).toBe('error: --breaking needs buf (the @bufbuild/buf package), which is not installed: install with npm i -D @bufbuild/buf\n');
  });

  it('says when grpc-tools was installed without the binaries its install downloads', () => {
    const skipped = path.join(tmp, 'skipped');
    for (const name of ['grpc-tools', 'grpc_tools_node_protoc_ts']) {
      mkdirSync(path.join(skipped, 'node_modules', name, 'bin'), { recursive: true });
      writeFileSync(path.join(skipped, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '0.0.0' }));
    }
    const r = mgrpc(skipped, 'codegen', '--backend', 'grpc-tools', '--protos', path.join(ROOT, 'protos'), '--out', 'stubs');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/grpc-tools is installed without its protoc \(.*grpc-tools\/bin\/protoc\), which its install step downloads: reinstall it where the download works: npm rebuild grpc-tools/);
  });
});

describe('mgrpc codegen --breaking', () => {
  /** A git repository whose protos/ is committed as in this repository, then edited by `edit`. */
  function repoWith(name: string, edit: (protos: string) => void): string {
    const repo = path.join(tmp, `repo-${name}`);
    cpSync(path.join(ROOT, 'protos'), path.join(repo, 'protos'), { recursive: true });
    const git = (...args: string[]) => spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('add', 'protos');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'protos');
    edit(path.join(repo, 'protos'));
    return repo;
  }
  const replace = (file: string, from: string | RegExp, to: string) => (protos: string) => {
    const full = path.join(protos, file);
    const source = readFileSync(full, 'utf8');
    expect(source.replace(from, to), `${from} in ${file}`).not.toBe(source);
    writeFileSync(full, source.replace(from, to));
  };

  it('fails on each kind of wire break, naming file, line and rule, and passes an additive change', async () => {
    // Each break in a different message, service or file, so that each is reported on its own.
    const breaks: [(protos: string) => void, RegExp][] = [
      [replace('product.proto', '  string user_id = 2;\n', ''), /product\.proto:\d+: Previously present field "2" with name "user_id" on message "LikeProductRequest" was deleted.* \(FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED\)/],
      [replace('product.proto', 'string image = 3;', 'string image = 5;'), /product\.proto:\d+: Previously present field "3" with name "image" on message "Product" was deleted.*\(FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED\)/],
      [replace('product.proto', 'int32 code = 1;', 'string code = 1;'), /product\.proto:\d+: Field "1" with name "code" on message "LikeError" changed type from "int32" to "string".*\(FIELD_WIRE_COMPATIBLE_TYPE\)/],
      [replace('product_receiver.proto', '  rpc Delete(DeleteByIdRequest) returns (google.protobuf.Empty) {}\n', ''), /product_receiver\.proto:\d+: Previously present RPC "Delete" on service "ProductReceiverService" was deleted\. \(RPC_NO_DELETE\)/],
      [replace('product.proto', /service ProductService \{[\s\S]*?\n\}\n/, ''), /Previously present service "ProductService" was deleted.*\(PACKAGE_SERVICE_NO_DELETE\)/],
      [replace('user.proto', 'package user;', 'package users;'), /user\.proto:\d+: File package changed from "user" to "users"\. \(FILE_SAME_PACKAGE\)/],
    ];
    const broken = repoWith('broken', (protos) => breaks.forEach(([edit]) => edit(protos)));
    const additive = repoWith('additive', (protos) => {
      replace('product.proto', 'int64 likes = 4;', 'int64 likes = 4;\n  string description = 5;')(protos);
      replace('user.proto', 'rpc GetUser(GetUserRequest) returns (GetUserResponse) {}', 'rpc GetUser(GetUserRequest) returns (GetUserResponse) {}\n  rpc ListUsers(GetUserRequest) returns (GetUserResponse) {}')(protos);
      writeFileSync(path.join(protos, 'review.proto'), 'syntax = "proto3";\npackage review;\nmessage Review {\n  string text = 1;\n}\n');
    });
    const started = performance.now();
    const [failed, passed] = await Promise.all([broken, additive].map((repo) => mgrpcAsync(kit.dir, 'codegen', '--breaking', '--protos', path.join(repo, 'protos'))));
    console.log(`2 --breaking runs (buf) took ${Math.round(performance.now() - started)} ms side by side`);
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/^\d+ wire-breaking changes in .*protos\/ since HEAD:\n/);
    for (const [, expected] of breaks) expect(failed.stderr).toMatch(expected);
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stdout).toMatch(/no wire-breaking changes in .*protos\/ since HEAD/);
  });

  it('--against compares with an older ref (the default is the last commit); an unknown ref is a usage error, a broken proto a located one', () => {
    const repo = repoWith('against', replace('product.proto', '  int64 likes = 4;\n', ''));
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'likes removed'], { cwd: repo });
    const protos = path.join(repo, 'protos');
    expect(mgrpc(kit.dir, 'codegen', '--breaking', '--protos', protos).code).toBe(0);
    const older = mgrpc(kit.dir, 'codegen', '--breaking', '--protos', protos, '--against', 'HEAD~1');
    expect(older.code).toBe(1);
    expect(older.stderr).toMatch(/since HEAD~1:\n.*"likes"/);
    const unknown = mgrpc(kit.dir, 'codegen', '--breaking', '--protos', protos, '--against', 'no-such-branch');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no commit 'no-such-branch'");

    replace('user.proto', 'string id = 1;', 'strin g id = 1;')(protos);
    const syntax = mgrpc(kit.dir, 'codegen', '--breaking', '--protos', protos);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^error: protos\/user\.proto:\d+: illegal token 'id'/);
  });
});
