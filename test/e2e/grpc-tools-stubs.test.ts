/**
 * Static stubs (`mgrpc codegen --backend grpc-tools`) against the real system on loopback:
 * a client on them calls our dashboard and product service, a ProductReceiverService written on
 * them receives our dashboard's sync, and the stub packages of both backends, packed with `npm pack`
 * and installed into an app outside the repository, call a running dashboard. The stubs, their runtimes
 * (@grpc/grpc-js, google-protobuf) and the tools are the test kit's (test/support/grpc-tools-kit.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { grpcToolsKit, KIT_DEPENDENCIES, npm, type GrpcToolsKit } from '../support/grpc-tools-kit.js';
import { CLI, ROOT, http, startSystem, type RunningSystem } from '../support/system.js';

const run = promisify(execFile);
const PACKAGE = '@shop/stubs';
const LOADER_PACKAGE = '@shop/loader-stubs';

let kit: GrpcToolsKit;
let stubsDir: string;
let scratch: string;
let sys: RunningSystem;
// The kit's own copies, as an app on the stubs has them.
let grpc: typeof import('@grpc/grpc-js');
let stubs: any;
let receiverServer: import('@grpc/grpc-js').Server;
const received: { method: string; request: Record<string, unknown> }[] = [];
let clients: { products: any; users: any; receiver: any };

/** A unary call on a generated client, as a promise (method names are grpc_node_plugin's lowerCamelCase). */
function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, { deadline: Date.now() + 5000 }, (err: Error | null, response: T) => (err ? reject(err) : resolve(response))),
  );
}

beforeAll(async () => {
  kit = await grpcToolsKit();
  scratch = mkdtempSync(path.join(tmpdir(), 'mgrpc-static-e2e-'));
  stubsDir = mkdtempSync(path.join(kit.dir, 'stubs-e2e-'));
  const generated = spawnSync(process.execPath, [CLI, 'codegen', '--backend', 'grpc-tools', '--protos', path.join(ROOT, 'protos'), '--out', stubsDir, '--package-name', PACKAGE], {
    cwd: kit.dir,
    encoding: 'utf8',
  });
  expect(generated.status, generated.stderr).toBe(0);
  grpc = kit.require('@grpc/grpc-js');
  stubs = kit.require(stubsDir);
  const { product_receiver: receiver } = stubs;

  // The tutorial's product service, as a team with static stubs writes it: records and echoes.
  receiverServer = new grpc.Server();
  const record = (method: string, reply: (request: any) => unknown) => (call: any, callback: (err: null, response: unknown) => void) => {
    received.push({ method, request: call.request.toObject() });
    callback(null, reply(call.request));
  };
  receiverServer.addService(receiver.ProductReceiverServiceService, {
    createProductFromReceiver: record('CreateProductFromReceiver', (r) => new receiver.CreateProductFromReceiverResponse().setProductReceiver(r.getProductReceiver())),
    update: record('Update', (r) => new receiver.UpdateByIdResponse().setProductReceiver(r.getProductReceiver())),
    delete: record('Delete', () => new (kit.require('google-protobuf/google/protobuf/empty_pb.js').Empty)()),
  });
  const receiverPort = await new Promise<number>((resolve, reject) =>
    receiverServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );

  sys = await startSystem({ env: { LOG_LEVEL: 'warn', PRODUCT_GRPC_SERVER: `127.0.0.1:${receiverPort}` } });
  const insecure = grpc.credentials.createInsecure();
  clients = {
    products: new stubs.product.ProductServiceClient(sys.dashboardGrpc, insecure),
    users: new stubs.user.UserServiceClient(sys.dashboardGrpc, insecure),
    receiver: new receiver.ProductReceiverServiceClient(sys.productGrpc, insecure),
  };
}, 120_000);

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.close();
  receiverServer?.forceShutdown();
  await sys?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (stubsDir) rmSync(stubsDir, { recursive: true, force: true });
});

async function createUser(): Promise<string> {
  const created = await http('POST', `${sys.dashboardUrl}/api/user`);
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

/** Waits for the sync message our dashboard sends the receiver about one product. */
async function receivedFor(method: string, id: string) {
  const match = (r: (typeof received)[number]) => r.method === method && JSON.stringify(r.request).includes(id);
  await eventually(async () => received.some(match), Boolean, 10_000);
  return received.find(match)?.request;
}

describe('a client on the static stubs', () => {
  it('calls our dashboard: GetUser, LikeProduct and LikeProducts, with int64 likes as strings', async () => {
    const { product, user } = stubs;
    const first = await createUser();
    const got = await call<any>(clients.users, 'getUser', new user.GetUserRequest());
    expect(got.getId()).toMatch(/^[0-9a-f-]{36}$/);

    const id: string = (await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Static lamp' })).body.id;
    const liked = await call<any>(clients.products, 'likeProduct', new product.LikeProductRequest().setId(id).setUserId(first));
    expect(liked.getProduct().toObject()).toEqual({ id, title: 'Static lamp', image: '', likes: '1' });

    const second = await createUser();
    const batch = await call<any>(
      clients.products,
      'likeProducts',
      new product.LikeProductsRequest().setLikesList([
        new product.KeyedLike().setId(id).setIdempotencyKey(`static-${second}`).setUserId(second),
        new product.KeyedLike().setId('3b241101-e2bb-4255-8caf-4136c566a962').setIdempotencyKey('static-missing'),
      ]),
    );
    const [counted, refused] = batch.getOutcomesList();
    expect(counted.getResultCase()).toBe(product.LikeOutcome.ResultCase.PRODUCT);
    expect(counted.getProduct().getLikes()).toBe('2');
    expect(refused.getError().getCode()).toBe(grpc.status.NOT_FOUND);

    // A user the dashboard does not know is refused, as for any client.
    const unknownUser = await call(clients.products, 'likeProduct', new product.LikeProductRequest().setId(id).setUserId('0f1e2d3c-4b5a-4697-8877-665544332211')).catch((e) => e);
    expect(unknownUser.code).toBe(grpc.status.NOT_FOUND);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body.likes).toBe(2);
  });

  it('calls our product service: CreateProductFromReceiver, Update and Delete', async () => {
    const { product_receiver: receiver } = stubs;
    const id = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
    const copy = (title: string) => new receiver.ProductReceiver().setProductId(id).setTitle(title).setImage('http://img/s.png');
    const copies = async () => (await http('GET', `${sys.productUrl}/api/products`)).body as { id: string; title: string }[];

    const created = await call<any>(clients.receiver, 'createProductFromReceiver', new receiver.CreateProductFromReceiverRequest().setProductReceiver(copy('Stool')));
    expect(created.getProductReceiver().toObject()).toEqual({ productId: id, title: 'Stool', image: 'http://img/s.png' });
    expect((await copies()).find((p) => p.id === id)).toMatchObject({ title: 'Stool' });

    const updated = await call<any>(clients.receiver, 'update', new receiver.UpdateByIdRequest().setProductReceiver(copy('Bar stool')));
    expect(updated.getProductReceiver().getTitle()).toBe('Bar stool');
    expect((await copies()).find((p) => p.id === id)).toMatchObject({ title: 'Bar stool' });

    const empty = await call<any>(clients.receiver, 'delete', new receiver.DeleteByIdRequest().setProductId(id));
    expect(empty.serializeBinary().length).toBe(0);
    expect((await copies()).some((p) => p.id === id)).toBe(false);
  });
});

it("a ProductReceiverService on the static stubs receives our dashboard's sync", async () => {
  const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Synced chair', image: 'http://img/c.png' });
  expect(created.status, created.text).toBe(201);
  const id: string = created.body.id;
  expect(await receivedFor('CreateProductFromReceiver', id)).toEqual({ productReceiver: { productId: id, title: 'Synced chair', image: 'http://img/c.png' } });

  expect((await http('PATCH', `${sys.dashboardUrl}/api/products/${id}`, { title: 'Synced armchair' })).status).toBe(200);
  expect(await receivedFor('Update', id)).toEqual({ productReceiver: { productId: id, title: 'Synced armchair', image: 'http://img/c.png' } });

  expect((await http('DELETE', `${sys.dashboardUrl}/api/products/${id}`)).status).toBe(204);
  expect(await receivedFor('Delete', id)).toEqual({ productId: id });
});

it('the stub package of each backend, packed and installed into an app outside the repository, calls a running dashboard', async () => {
  // The proto-loader backend's package: built JavaScript and .d.ts (--package-name with its own --out).
  const loaderDir = path.join(scratch, 'loader-stubs');
  const generated = spawnSync(process.execPath, [CLI, 'codegen', '--protos', path.join(ROOT, 'protos'), '--out', loaderDir, '--package-name', LOADER_PACKAGE], { encoding: 'utf8' });
  expect(generated.status, generated.stderr).toBe(0);
  const tarballs: string[] = [];
  for (const dir of [stubsDir, loaderDir]) {
    const { stdout } = await run('npm', ['pack', dir, '--pack-destination', scratch, '--loglevel=error'], { cwd: scratch, encoding: 'utf8' });
    tarballs.push(path.join(scratch, stdout.trim().split('\n').pop()!));
  }
  const app = path.join(scratch, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'shop-app', private: true, type: 'module' }));
  const runtimes = [`@grpc/grpc-js@${KIT_DEPENDENCIES['@grpc/grpc-js']}`, `google-protobuf@${KIT_DEPENDENCIES['google-protobuf']}`, `@grpc/proto-loader@${loaderVersion()}`];
  await npm(app, ['install', ...tarballs, ...runtimes]);
  writeFileSync(
    path.join(app, 'main.js'),
    `import * as grpc from '@grpc/grpc-js';
import { product, user } from '${PACKAGE}';
import { proto } from '${LOADER_PACKAGE}';

const [target, productId] = process.argv.slice(2);
const credentials = grpc.credentials.createInsecure();
const call = (client, method, request) =>
  new Promise((resolve, reject) => client[method](request, (err, response) => (err ? reject(err) : resolve(response))));

// grpc-tools stubs: a user, then a like as that user.
const users = new user.UserServiceClient(target, credentials);
const products = new product.ProductServiceClient(target, credentials);
const someone = await call(users, 'getUser', new user.GetUserRequest());
const liked = await call(products, 'likeProduct', new product.LikeProductRequest().setId(productId).setUserId(someone.getId()));
// proto-loader stubs: an anonymous like of the same product.
const loaderProducts = new proto.product.ProductService(target, credentials);
const again = await call(loaderProducts, 'LikeProduct', { id: productId });
console.log(JSON.stringify({ static: liked.getProduct().toObject(), loader: again.product }));
for (const client of [users, products, loaderProducts]) client.close();
`,
  );
  await createUser();
  const id: string = (await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Packed pen' })).body.id;
  const { stdout } = await run(process.execPath, ['main.js', sys.dashboardGrpc, id], { cwd: app, encoding: 'utf8', timeout: 30_000 });
  expect(JSON.parse(stdout)).toEqual({
    static: { id, title: 'Packed pen', image: '', likes: '1' },
    loader: { id, title: 'Packed pen', image: '', likes: '2' },
  });

  // One google-protobuf in the app: the stubs' peer dependency is the app's own copy.
  const { stdout: copies } = await run('npm', ['ls', 'google-protobuf', '--all', '--parseable'], { cwd: app, encoding: 'utf8' });
  expect(copies.trim().split('\n')).toEqual([path.join(app, 'node_modules/google-protobuf')]);
});

function loaderVersion(): string {
  return JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@grpc/proto-loader/package.json'), 'utf8')).version;
}
