/**
 * The gRPC tooling against the real system (four processes from dist/): server reflection
 * on both gRPC servers, read by a plain grpc-js client of grpc.reflection.v1 (the protocol
 * grpcurl, Postman and evans speak), and `mgrpc call` / `mgrpc describe` as a user runs them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, waitForPort } from '../support/ports.js';
import { decodeFiles, reflect, type ReflectionResponse } from '../support/reflection.js';
import { CLI, ROOT, http, runCli, startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
let env: NodeJS.ProcessEnv;
let productId: string;
let userId: string;
let scratch: string;

beforeAll(async () => {
  sys = await startSystem({ env: { LOG_LEVEL: 'warn' } });
  env = { DASHBOARD_GRPC_SERVER: sys.dashboardGrpc, PRODUCT_GRPC_SERVER: sys.productGrpc };
  userId = (await http('POST', `${sys.dashboardUrl}/api/user`)).body.id;
  productId = (await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Reflected pen' })).body.id;
  scratch = mkdtempSync(path.join(tmpdir(), 'mgrpc-grpctools-'));
});

afterAll(async () => {
  await sys?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('server reflection', () => {
  it('lists the services each gRPC server serves (and health), with or without a service token', async () => {
    const [dashboard] = await reflect(sys.dashboardGrpc, [{ list_services: '*' }]);
    const [product] = await reflect(sys.productGrpc, [{ list_services: '*' }]);
    const names = (answer: ReflectionResponse) => answer.list_services_response!.service.map((service) => service.name).sort();
    expect(names(dashboard)).toEqual(['grpc.health.v1.Health', 'product.ProductService', 'user.UserService']);
    expect(names(product)).toEqual(['grpc.health.v1.Health', 'product_receiver.ProductReceiverService']);
  });

  it('answers the file descriptor of a symbol, with the messages its methods use and their dependencies', async () => {
    const [service, message, receiver] = await reflect(sys.dashboardGrpc, [
      { file_containing_symbol: 'product.ProductService' },
      { file_containing_symbol: 'product.Product' },
      { file_containing_symbol: 'user.UserService.GetUser' },
    ]);
    const [file] = decodeFiles(service);
    expect(file.package).toBe('product');
    expect(file.service.map((s) => [s.name, s.method.map((m) => m.name)])).toEqual([['ProductService', ['LikeProduct', 'LikeProducts', 'ListProducts', 'WatchProducts']]]);
    expect(file.messageType.map((m) => m.name).sort()).toEqual([
      'KeyedLike',
      'LikeError',
      'LikeOutcome',
      'LikeProductRequest',
      'LikeProductResponse',
      'LikeProductsRequest',
      'LikeProductsResponse',
      'ListProductsRequest',
      'ListProductsResponse',
      'Product',
      'ProductChange',
      'WatchProductsRequest',
      'WatchReady',
    ]);
    const product = file.messageType.find((m) => m.name === 'Product')!;
    expect(product.field.map((f) => [f.name, f.number])).toEqual([['id', 1], ['title', 2], ['image', 3], ['likes', 4]]);
    expect(decodeFiles(message)[0].name).toBe(file.name);
    expect(decodeFiles(receiver)[0].package).toBe('user');

    // product_receiver.proto imports google.protobuf.Empty. grpcurl links descriptors strictly:
    // the file must name its dependency, the answer carries it, and file_by_filename finds it.
    const [deleteAnswer] = await reflect(sys.productGrpc, [{ file_containing_symbol: 'product_receiver.ProductReceiverService.Delete' }]);
    const files = decodeFiles(deleteAnswer);
    const receiverFile = files.find((f) => f.package === 'product_receiver')!;
    const method = receiverFile.service[0].method.find((m) => m.name === 'Delete') as unknown as { inputType: string; outputType: string };
    expect(method).toMatchObject({ inputType: '.product_receiver.DeleteByIdRequest', outputType: '.google.protobuf.Empty' });
    expect(receiverFile.dependency).toHaveLength(1);
    expect(files.map((f) => f.name)).toContain(receiverFile.dependency[0]);
    const [byName] = await reflect(sys.productGrpc, [{ file_by_filename: receiverFile.dependency[0] }]);
    const [empty] = decodeFiles(byName);
    expect(empty.package).toBe('google.protobuf');
    expect(empty.messageType.map((m) => m.name)).toContain('Empty');
  });

  it('answers NOT_FOUND for a symbol the server does not serve', async () => {
    const [answer] = await reflect(sys.productGrpc, [{ file_containing_symbol: 'product.NoSuchThing' }]);
    expect(answer.error_response?.error_code).toBe(grpc.status.NOT_FOUND);
  });
});

const mgrpc = (args: string[], input?: string) => runCli(args, env, input);

describe('mgrpc call', () => {
  it('LikeProduct on a real product prints the product as proto3 JSON (camelCase, int64 as a string)', () => {
    const result = mgrpc(['call', 'product.ProductService/LikeProduct', '--data', JSON.stringify({ id: productId })]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ product: { id: productId, title: 'Reflected pen', image: '', likes: '1' } });
    // The short spellings resolve to the same method, and the like counted again.
    const again = mgrpc(['call', 'ProductService.LikeProduct', '--data', JSON.stringify({ id: productId })]);
    expect(JSON.parse(again.stdout).product.likes).toBe('2');
  });

  it('GetUser with no data, from a file and from stdin', () => {
    const file = path.join(scratch, 'get-user.json');
    writeFileSync(file, '{}');
    for (const args of [['call', 'UserService/GetUser'], ['call', 'UserService/GetUser', '--data', `@${file}`]]) {
      const result = mgrpc(args);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ id: userId });
    }
    const piped = mgrpc(['call', 'user.UserService/GetUser', '--data', '-'], '{}');
    expect(JSON.parse(piped.stdout)).toEqual({ id: userId });
  });

  it('reaches the product gRPC server for ProductReceiverService and accepts proto field names', () => {
    const result = mgrpc(['call', 'ProductReceiverService/Update', '--data', JSON.stringify({ product_receiver: { product_id: productId, title: 'Renamed pen' } })]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ productReceiver: { productId, title: 'Renamed pen', image: '' } });
  });

  it('a gRPC error prints ERROR: CODE: details and exits 1', () => {
    const missing = mgrpc(['call', 'ProductService/LikeProduct', '--data', JSON.stringify({ id: '3f1c2a8e-1111-4111-8111-111111111111' })]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^ERROR: NOT_FOUND: [^\n]*3f1c2a8e-1111-4111-8111-111111111111[^\n]*\n$/);
    const invalid = mgrpc(['call', 'ProductService/LikeProduct', '--data', '{"id": "nope"}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^ERROR: INVALID_ARGUMENT: id: 'nope' is not a valid UUID\n$/);
  });

  it('a server that is not there is UNAVAILABLE: one readable line naming the address, its source and --addr', async () => {
    const result = mgrpc(['call', 'UserService/GetUser', '--addr', '127.0.0.1:1', '--deadline', '3000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'ERROR: UNAVAILABLE: cannot reach the gRPC server at 127.0.0.1:1 (connection refused; address from --addr) — is it running? pass --addr HOST:PORT, start everything with `mgrpc up`, or see `mgrpc status`\n',
    );
    const described = mgrpc(['describe', '--addr', '127.0.0.1:1', '--deadline', '3000']);
    expect(described.code).toBe(1);
    expect(described.stderr).toMatch(/^ERROR: UNAVAILABLE: server reflection failed: cannot reach the gRPC server at 127\.0\.0\.1:1 \(connection refused; address from --addr\) — .*--addr HOST:PORT/);
    expect(described.stderr).not.toMatch(/No connection established|Resolution note/);
  });

  it.each([
    [['--data', '{"id": '], /^error: --data: malformed JSON/],
    [['--data', '{"colour": "red"}'], /^error: colour: unknown field of product\.LikeProductRequest \(fields: id, userId\)/],
    [['--data', '{"id": 5}'], /^error: id: expected a string, got number 5/],
    [['--data', '[]'], /^error: request: expected a JSON object/],
    [['--data', '@/nonexistent/request.json'], /^error: --data @\/nonexistent\/request\.json: cannot read the file \(ENOENT\)/],
    [['--deadline', 'soon'], /^error: --deadline soon: expected a positive number/],
    [['--metadata', 'novalue'], /^error: --metadata novalue: write KEY=VALUE/],
  ])('bad input %j is a usage error (exit 2) and calls nothing', (extra, message) => {
    const result = mgrpc(['call', 'ProductService/LikeProduct', ...extra]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown or malformed method name lists the methods', () => {
    for (const spec of ['ProductService/Dislike', 'NoService/GetUser', 'LikeProduct']) {
      const result = mgrpc(['call', spec]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('product.ProductService/LikeProduct');
      expect(result.stderr).toContain('user.UserService/GetUser');
    }
    expect(mgrpc(['call', 'productservice/likeproduct']).stderr).toMatch(/did you mean product\.ProductService\/LikeProduct/);
  });

  it('--reflect resolves the method through the server instead of the local protos', () => {
    const result = mgrpc(['call', '--reflect', '--addr', sys.dashboardGrpc, 'UserService/GetUser']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: userId });
  });
});

describe('mgrpc describe', () => {
  it('lists every service and method with request and response types', () => {
    const result = mgrpc(['describe']);
    expect(result.code, result.stderr).toBe(0);
    for (const line of [
      'service product.ProductService {',
      'rpc LikeProduct(product.LikeProductRequest) returns (product.LikeProductResponse);',
      'service user.UserService {',
      'rpc GetUser(user.GetUserRequest) returns (user.GetUserResponse);',
      'service product_receiver.ProductReceiverService {',
      'rpc CreateProductFromReceiver(product_receiver.CreateProductFromReceiverRequest) returns (product_receiver.CreateProductFromReceiverResponse);',
      'rpc Update(product_receiver.UpdateByIdRequest) returns (product_receiver.UpdateByIdResponse);',
      'rpc Delete(product_receiver.DeleteByIdRequest) returns (google.protobuf.Empty);',
    ]) {
      expect(result.stdout).toContain(line);
    }
  });

  it('shows the fields of a service’s messages, or of one message', () => {
    const service = mgrpc(['describe', 'ProductService']);
    expect(service.stdout).toContain('message product.Product {\n  string id = 1;\n  string title = 2;\n  string image = 3;\n  int64 likes = 4;\n}');
    expect(service.stdout).not.toContain('user.UserService');
    const message = mgrpc(['describe', 'product.LikeProductResponse']);
    expect(message.stdout).toMatch(/^message product\.LikeProductResponse \{\n {2}product\.Product product = 1;\n\}/);
    const unknown = mgrpc(['describe', 'Nothing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown service, method or message 'Nothing'.*product\.ProductService/);
  });

  it('--addr describes what a running server serves, through reflection', () => {
    const result = mgrpc(['describe', '--addr', sys.productGrpc]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('service product_receiver.ProductReceiverService {');
    expect(result.stdout).toContain('service grpc.health.v1.Health {');
    expect(result.stdout).not.toContain('product.ProductService');
  });
});

describe('mgrpc call with a service token', () => {
  it('sends MGRPC_SERVICE_TOKEN; without it the server answers UNAUTHENTICATED (exit 1)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-token-'));
    const token = 'a'.repeat(64);
    const serverEnv = { ...process.env, MGRPC_DATA_DIR: dataDir, MGRPC_SERVICE_TOKEN: token, LOG_LEVEL: 'warn' };
    const port = await freePort();
    const server = spawn(process.execPath, [CLI, 'grpcrunserver', `127.0.0.1:${port}`, '--service', 'dashboard', '--migrate'], { cwd: ROOT, env: serverEnv, stdio: 'ignore' });
    try {
      await waitForPort(port);
      const addr = `127.0.0.1:${port}`;
      const without = runCli(['call', 'UserService/GetUser', '--addr', addr], { MGRPC_SERVICE_TOKEN: '' });
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/^ERROR: UNAUTHENTICATED: missing or invalid service token\n$/);
      // With the token the call reaches the handler: a fresh database has no users yet.
      const withToken = runCli(['call', 'UserService/GetUser', '--addr', addr], { MGRPC_SERVICE_TOKEN: token });
      expect(withToken.code).toBe(1);
      expect(withToken.stderr).toMatch(/^ERROR: FAILED_PRECONDITION: there are no users yet/);
      // Reflection needs no token.
      expect(runCli(['describe', '--addr', addr], { MGRPC_SERVICE_TOKEN: '' }).stdout).toContain('service user.UserService {');
    } finally {
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
