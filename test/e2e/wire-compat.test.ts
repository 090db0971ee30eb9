/**
 * Wire compatibility with the tutorial's Python services, in both directions, without our
 * protos or stubs on the peer side: the peer's requests and responses are protobuf bytes
 * encoded by hand from the tutorial's field numbers (test/support/protowire.ts), carried by
 * grpc-js with identity serializers on the tutorial's exact method paths.
 *
 *  A: a tutorial client (its dashboard, its product service) calls our real servers.
 *  B: our real servers call tutorial-style servers: our dashboard REST -> a raw
 *     ProductReceiverService; our product REST -> a raw dashboard (ProductService + UserService).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { freePort, waitForPort } from '../support/ports.js';
import { decode, encode, varint, WireType, type WireMessage } from '../support/protowire.js';
import { CLI, ROOT, http, runCli, startSystem, type RunningSystem } from '../support/system.js';

// The tutorial's services and methods, by the names its protos give them.
const PRODUCT_SERVICE = 'product.ProductService';
const USER_SERVICE = 'user.UserService';
const RECEIVER_SERVICE = 'product_receiver.ProductReceiverService';
const RECEIVER_METHODS = ['CreateProductFromReceiver', 'Update', 'Delete'] as const;

const identity = (bytes: Buffer) => bytes;

function rawMethod(service: string, name: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${service}/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

function rawDefinition(service: string, names: readonly string[]): grpc.ServiceDefinition {
  return Object.fromEntries(names.map((name) => [name, rawMethod(service, name)]));
}

type RawCall = (method: string, body: Buffer) => Promise<Buffer>;

/** A client of one tutorial service that sends and receives bytes, one channel for all calls. */
function rawClient(target: string, service: string, names: readonly string[]): { call: RawCall; close(): void } {
  const Client = grpc.makeGenericClientConstructor(rawDefinition(service, names), service);
  const client = new Client(target, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
  return {
    call: (method, body) =>
      new Promise((resolve, reject) =>
        client[method](body, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: Buffer) => (err ? reject(err) : resolve(res))),
      ),
    close: () => client.close(),
  };
}

function listen(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/** A ProductReceiver / Product message read back field by field, with its wire types. */
function fieldsOf(message: WireMessage) {
  return Object.fromEntries(message.fields.map((f) => [f.number, f.wireType]));
}

async function rejectsWith(promise: Promise<unknown>, code: grpc.status) {
  const err = await promise.then(
    () => undefined,
    (e: grpc.ServiceError) => e,
  );
  expect(err, `expected ${grpc.status[code]}`).toBeDefined();
  expect(grpc.status[err!.code], err!.details).toBe(grpc.status[code]);
  return err!;
}

/** One of our server processes, started from the built CLI, with its output kept. */
async function startProcess(args: string[], port: number, env: NodeJS.ProcessEnv) {
  const logs: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`mgrpc ${args.join(' ')} exited with ${code}:\n${logs.join('')}`))));
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port), exited]);
  return {
    logs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

describe('protowire (the test codec) matches the protobuf encoding spec', () => {
  it('encodes and decodes the documented examples', () => {
    // protobuf.dev/programming-guides/encoding: field 1 = 150, field 2 = "testing", field 3 = {1: 150}.
    expect(encode({ 1: 150 }).toString('hex')).toBe('089601');
    expect(encode({ 2: 'testing' }).toString('hex')).toBe('120774657374696e67');
    expect(encode({ 3: encode({ 1: 150 }) }).toString('hex')).toBe('1a03089601');
    expect(varint(-2).toString('hex')).toBe('feffffffffffffffff01');
    const message = decode(Buffer.from('089601120774657374696e671a03089601', 'hex'));
    expect([message.int(1), message.string(2), message.message(3).int(1)]).toEqual([150, 'testing', 150]);
    expect(decode(encode({ 4: 2n ** 40n })).varint(4)).toBe(2n ** 40n);
    expect(() => decode(Buffer.from('0a05ab', 'hex'))).toThrow(/past the end/);
  });
});

describe('A: a tutorial client calling our servers', () => {
  let sys: RunningSystem;
  let receiver: ReturnType<typeof rawClient>;
  let products: ReturnType<typeof rawClient>;
  let users: ReturnType<typeof rawClient>;

  beforeAll(async () => {
    sys = await startSystem({ env: { LOG_LEVEL: 'warn' } });
    receiver = rawClient(sys.productGrpc, RECEIVER_SERVICE, RECEIVER_METHODS);
    products = rawClient(sys.dashboardGrpc, PRODUCT_SERVICE, ['LikeProduct']);
    users = rawClient(sys.dashboardGrpc, USER_SERVICE, ['GetUser']);
  });
  afterAll(async () => {
    for (const client of [receiver, products, users]) client?.close();
    await sys?.close();
  });

  async function copies(): Promise<{ id: string; title: string; image: string | null }[]> {
    const res = await http('GET', `${sys.productUrl}/api/products`);
    expect(res.status).toBe(200);
    return res.body;
  }

  it('ProductReceiverService (as the tutorial dashboard calls it): create, update and delete by product_id', async () => {
    const id = '6f1c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';
    // CreateProductFromReceiverRequest{1: ProductReceiver{1 product_id, 2 title, 3 image}}, plus a
    // field from a newer schema, which a proto3 peer must skip.
    const created = decode(await receiver.call('CreateProductFromReceiver', encode({ 1: encode({ 1: id, 2: 'Lamp', 3: 'http://img/l.png', 15: 'future' }) })));
    expect(created.numbers()).toEqual([1]);
    const echoed = created.message(1);
    expect(fieldsOf(echoed)).toEqual({ 1: WireType.LEN, 2: WireType.LEN, 3: WireType.LEN });
    expect([echoed.string(1), echoed.string(2), echoed.string(3)]).toEqual([id, 'Lamp', 'http://img/l.png']);
    expect((await copies()).find((p) => p.id === id)).toMatchObject({ title: 'Lamp', image: 'http://img/l.png' });

    // UpdateByIdRequest{1: ProductReceiver}: the tutorial sends the product's whole state.
    const updated = decode(await receiver.call('Update', encode({ 1: encode({ 1: id, 2: 'Desk lamp', 3: 'http://img/d.png' }) }))).message(1);
    expect([updated.string(1), updated.string(2), updated.string(3)]).toEqual([id, 'Desk lamp', 'http://img/d.png']);
    expect((await copies()).find((p) => p.id === id)).toMatchObject({ title: 'Desk lamp', image: 'http://img/d.png' });

    // proto3 drops an empty string from the wire: no field 3 is the tutorial's "no image".
    await receiver.call('Update', encode({ 1: encode({ 1: id, 2: 'Desk lamp' }) }));
    expect((await copies()).find((p) => p.id === id)).toMatchObject({ title: 'Desk lamp', image: null });

    // DeleteByIdRequest{1 product_id} -> google.protobuf.Empty, which is zero bytes.
    const empty = await receiver.call('Delete', encode({ 1: id }));
    expect(empty.length).toBe(0);
    expect((await copies()).some((p) => p.id === id)).toBe(false);
  });

  it('ProductReceiverService answers bad requests with the gRPC statuses a peer can act on', async () => {
    const id = 'a3d5c1f0-9b8e-4c7d-a6b5-4f3e2d1c0b9a';
    const request = encode({ 1: encode({ 1: id, 2: 'Stool' }) });
    await receiver.call('CreateProductFromReceiver', request);
    await rejectsWith(receiver.call('CreateProductFromReceiver', request), grpc.status.ALREADY_EXISTS);
    await rejectsWith(receiver.call('CreateProductFromReceiver', encode({ 1: encode({ 1: 'not-a-uuid', 2: 'Stool' }) })), grpc.status.INVALID_ARGUMENT);
    await rejectsWith(receiver.call('Update', encode({ 1: encode({ 1: '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d', 2: 'x' }) })), grpc.status.NOT_FOUND);
    await rejectsWith(receiver.call('Delete', Buffer.alloc(0)), grpc.status.INVALID_ARGUMENT);
    await receiver.call('Delete', encode({ 1: id }));
    await rejectsWith(receiver.call('Delete', encode({ 1: id })), grpc.status.NOT_FOUND);
  });

  it('UserService.GetUser (as the tutorial product service calls it): empty request, id in field 1', async () => {
    const none = await rejectsWith(users.call('GetUser', Buffer.alloc(0)), grpc.status.FAILED_PRECONDITION);
    expect(none.details).toContain('user create');

    const created = await http('POST', `${sys.dashboardUrl}/api/user`);
    expect(created.status).toBe(201);
    const user = decode(await users.call('GetUser', Buffer.alloc(0)));
    expect(fieldsOf(user)).toEqual({ 1: WireType.LEN });
    expect(user.string(1)).toBe(created.body.id);
  });

  it('ProductService.LikeProduct: LikeProductRequest{1 id} -> LikeProductResponse{1 Product{id, title, image, likes}}', async () => {
    const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Mug' });
    expect(created.status, created.text).toBe(201);
    const id: string = created.body.id;

    const first = decode(await products.call('LikeProduct', encode({ 1: id })));
    expect(first.numbers()).toEqual([1]);
    const product = first.message(1);
    // No image reads as ''. (protobufjs writes the empty string as a zero-length field 3 where
    // Python leaves it out; both decode to the proto3 default, so either is compatible.)
    expect(fieldsOf(product)).toMatchObject({ 1: WireType.LEN, 2: WireType.LEN, 4: WireType.VARINT });
    expect(product.bytesOf(3).length).toBe(0);
    expect([product.string(1), product.string(2), product.string(3), product.int(4)]).toEqual([id, 'Mug', '', 1]);

    const second = decode(await products.call('LikeProduct', encode({ 1: id }))).message(1);
    expect(second.int(4)).toBe(2);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body).toMatchObject({ id, likes: 2 });

    await rejectsWith(products.call('LikeProduct', encode({ 1: 'bad' })), grpc.status.INVALID_ARGUMENT);
    await rejectsWith(products.call('LikeProduct', Buffer.alloc(0)), grpc.status.INVALID_ARGUMENT);
    await rejectsWith(products.call('LikeProduct', encode({ 1: '3b241101-e2bb-4255-8caf-4136c566a962' })), grpc.status.NOT_FOUND);
  });
});

describe('B: our services calling tutorial-style servers', () => {
  type Received = { method: string; request: Buffer };
  const received: Received[] = [];
  const take = (method?: string) => {
    const found = received.splice(0).filter((r) => !method || r.method === method);
    return found;
  };

  const TUTORIAL_USER = '9c8b7a6f-5e4d-4c3b-8a29-181716151413';
  /** How the raw dashboard answers LikeProduct next: the likes it reports, or a gRPC error. */
  let likesAnswered = 0;
  let likeAnswer: { likes: number | bigint } | { code: grpc.status; details: string } = { likes: 1 };

  let receiverServer: grpc.Server;
  let dashboardServer: grpc.Server;
  let receiverGrpc: ReturnType<typeof rawClient>;
  const stops: (() => Promise<void>)[] = [];
  const dataDirs: string[] = [];
  let dashboardUrl: string;
  let productUrl: string;

  beforeAll(async () => {
    // The tutorial product service's gRPC server: records and echoes, as its serializer does.
    receiverServer = new grpc.Server();
    receiverServer.addService(
      rawDefinition(RECEIVER_SERVICE, RECEIVER_METHODS),
      Object.fromEntries(
        RECEIVER_METHODS.map((name) => [
          name,
          (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
            received.push({ method: name, request: call.request });
            cb(null, name === 'Delete' ? Buffer.alloc(0) : encode({ 1: decode(call.request).bytesOf(1) }));
          },
        ]),
      ),
    );
    // The tutorial dashboard's gRPC server: ProductService and UserService on one port.
    dashboardServer = new grpc.Server();
    dashboardServer.addService(rawDefinition(USER_SERVICE, ['GetUser']), {
      GetUser: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        received.push({ method: 'GetUser', request: call.request });
        cb(null, encode({ 1: TUTORIAL_USER }));
      },
    });
    dashboardServer.addService(rawDefinition(PRODUCT_SERVICE, ['LikeProduct', 'LikeProducts']), {
      // The tutorial's dashboard has no LikeProducts: answered as grpc-js answers a method a
      // server does not have, but recorded, to see our relay ask for it once and then stop.
      LikeProducts: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        received.push({ method: 'LikeProducts', request: call.request });
        cb({ code: grpc.status.UNIMPLEMENTED, details: `The server does not implement the method /${PRODUCT_SERVICE}/LikeProducts` });
      },
      LikeProduct: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        received.push({ method: 'LikeProduct', request: call.request });
        if ('code' in likeAnswer) return cb({ code: likeAnswer.code, details: likeAnswer.details });
        likesAnswered += 1;
        const id = decode(call.request).string(1);
        // Product{1 id, 2 title, 3 image, 4 likes} and a field from a newer schema to skip.
        cb(null, encode({ 1: encode({ 1: id, 2: 'Chair', 3: 'http://img/c.png', 4: likeAnswer.likes, 9: 'future' }) }));
      },
    });
    const [receiverPort, dashboardPort] = await Promise.all([listen(receiverServer), listen(dashboardServer)]);

    const dashboardData = mkdtempSync(path.join(tmpdir(), 'mgrpc-wire-dashboard-'));
    const productData = mkdtempSync(path.join(tmpdir(), 'mgrpc-wire-product-'));
    dataDirs.push(dashboardData, productData);
    const [dashboardRest, productRest, productGrpc] = await Promise.all([freePort(), freePort(), freePort()]);
    dashboardUrl = `http://127.0.0.1:${dashboardRest}`;
    productUrl = `http://127.0.0.1:${productRest}`;

    const productEnv = { MGRPC_DATA_DIR: productData, DASHBOARD_GRPC_SERVER: `127.0.0.1:${dashboardPort}` };
    const migrated = runCli(['migrate', '--service', 'product'], productEnv);
    expect(migrated.code, migrated.stderr).toBe(0);
    const started = await Promise.all([
      startProcess(['runserver', `127.0.0.1:${dashboardRest}`, '--service', 'dashboard', '--migrate'], dashboardRest, {
        MGRPC_DATA_DIR: dashboardData,
        PRODUCT_GRPC_SERVER: `127.0.0.1:${receiverPort}`,
      }),
      startProcess(['runserver', `127.0.0.1:${productRest}`, '--service', 'product'], productRest, productEnv),
      startProcess(['grpcrunserver', `127.0.0.1:${productGrpc}`, '--service', 'product'], productGrpc, productEnv),
    ]);
    stops.push(...started.map((p) => p.stop));
    receiverGrpc = rawClient(`127.0.0.1:${productGrpc}`, RECEIVER_SERVICE, RECEIVER_METHODS);
  });

  afterAll(async () => {
    receiverGrpc?.close();
    await Promise.all(stops.map((stop) => stop()));
    receiverServer?.forceShutdown();
    dashboardServer?.forceShutdown();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('our dashboard sends CreateProductFromReceiver, Update and Delete as the tutorial defines them', async () => {
    take();
    const created = await http('POST', `${dashboardUrl}/api/products`, { title: 'Chair', image: 'http://img/c.png' });
    expect(created.status, created.text).toBe(201);
    const id: string = created.body.id;
    const [create] = take();
    expect(create.method).toBe('CreateProductFromReceiver');
    const request = decode(create.request);
    expect(fieldsOf(request)).toEqual({ 1: WireType.LEN });
    const sent = request.message(1);
    expect([sent.string(1), sent.string(2), sent.string(3)]).toEqual([id, 'Chair', 'http://img/c.png']);

    expect((await http('PATCH', `${dashboardUrl}/api/products/${id}`, { title: 'Armchair' })).status).toBe(200);
    const [update] = take();
    expect(update.method).toBe('Update');
    const state = decode(update.request).message(1);
    expect([state.string(1), state.string(2), state.string(3)]).toEqual([id, 'Armchair', 'http://img/c.png']);

    expect((await http('DELETE', `${dashboardUrl}/api/products/${id}`)).status).toBe(204);
    const [remove] = take();
    expect(remove.method).toBe('Delete');
    expect(fieldsOf(decode(remove.request))).toEqual({ 1: WireType.LEN });
    expect(decode(remove.request).string(1)).toBe(id);
  });

  it('our dashboard sends a product without an image as the proto3 default, an empty image', async () => {
    take();
    const created = await http('POST', `${dashboardUrl}/api/products`, { title: 'Plain' });
    expect(created.status, created.text).toBe(201);
    const sent = decode(take('CreateProductFromReceiver')[0].request).message(1);
    expect(sent.numbers().filter((n) => n !== 3)).toEqual([1, 2]);
    expect([sent.string(1), sent.string(2), sent.string(3)]).toEqual([created.body.id, 'Plain', '']);
  });

  it('our product service likes through the tutorial dashboard: GetUser, then LikeProduct{1 id}', async () => {
    const id = '1d2c3b4a-5f6e-4d8c-9b0a-a1b2c3d4e5f6';
    // The copy a tutorial dashboard would have pushed, in its bytes.
    await receiverGrpc.call('CreateProductFromReceiver', encode({ 1: encode({ 1: id, 2: 'Chair', 3: 'http://img/c.png' }) }));
    take();

    likeAnswer = { likes: 7 };
    const liked = await http('POST', `${productUrl}/api/products/${id}/like`);
    expect(liked.status, liked.text).toBe(200);
    expect(liked.body).toEqual({ message: 'Success', product_id: id, user_id: TUTORIAL_USER, likes: 7 });
    const calls = take();
    // The relay asked for its batch call first; the tutorial dashboard answered UNIMPLEMENTED,
    // and the like went as the tutorial's own LikeProduct.
    expect(calls.map((c) => c.method)).toEqual(['GetUser', 'LikeProducts', 'LikeProduct']);
    expect(calls[0].request.length).toBe(0);
    const like = decode(calls[2].request);
    // Field 2 (user_id) is ours, added so our dashboard can refuse unknown users; the
    // tutorial's dashboard skips it as proto3 skips any unknown field.
    expect(fieldsOf(like)).toEqual({ 1: WireType.LEN, 2: WireType.LEN });
    expect(like.string(1)).toBe(id);
    expect(like.string(2)).toBe(TUTORIAL_USER);

    // With a user id there is nothing to ask, and the relay remembers that this dashboard has no
    // LikeProducts: only LikeProduct. int64 likes beyond 2^32 survive.
    likeAnswer = { likes: 2n ** 33n };
    const user = '0f1e2d3c-4b5a-4697-8877-665544332211';
    const again = await http('POST', `${productUrl}/api/products/${id}/like`, { user_id: user });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ user_id: user, likes: 2 ** 33 });
    expect(take().map((c) => c.method)).toEqual(['LikeProduct']);
  });

  it('maps the tutorial dashboard\'s refusals to REST statuses keeping nothing, and retries an unavailable one until it is counted', async () => {
    const id = 'e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b';
    await receiverGrpc.call('CreateProductFromReceiver', encode({ 1: encode({ 1: id, 2: 'Sofa' }) }));
    const user = '22334455-6677-4899-aabb-ccddeeff0011';

    likeAnswer = { code: grpc.status.NOT_FOUND, details: 'Product matching query does not exist.' };
    const missing = await http('POST', `${productUrl}/api/products/${id}/like`, { user_id: user });
    expect(missing.status, missing.text).toBe(404);

    // A refusal for good left no like row behind: the same user can like once the dashboard answers.
    likeAnswer = { likes: 1 };
    take();
    const ok = await http('POST', `${productUrl}/api/products/${id}/like`, { user_id: user });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.likes).toBe(1);
    expect(take().map((c) => c.method)).toEqual(['LikeProduct']);

    // Unavailable: the like is kept (202 pending) and retried, with the same bytes, until it is answered.
    const other = '33445566-7788-49aa-bbcc-ddeeff001122';
    likeAnswer = { code: grpc.status.UNAVAILABLE, details: 'down for maintenance' };
    const down = await http('POST', `${productUrl}/api/products/${id}/like`, { user_id: other });
    expect(down.status, down.text).toBe(202);
    expect(down.body.status).toBe('pending');
    const answeredBefore = likesAnswered;
    likeAnswer = { likes: 2 };
    expect(await eventually(async () => likesAnswered, (n) => n > answeredBefore, 10_000)).toBe(answeredBefore + 1);
    const calls = take();
    const likeCalls = calls.filter((c) => c.method === 'LikeProduct');
    expect(likeCalls.length).toBeGreaterThanOrEqual(2);
    expect(likeCalls.every((c) => decode(c.request).string(1) === id)).toBe(true);
    // A retry may be taken by the product service's other process (its gRPC server runs a relay
    // too), which asks for LikeProducts once before it falls back as well.
    expect(calls.filter((c) => c.method === 'LikeProducts').length).toBeLessThanOrEqual(1);
    expect(calls.every((c) => c.method === 'LikeProduct' || c.method === 'LikeProducts')).toBe(true);
  });
});
