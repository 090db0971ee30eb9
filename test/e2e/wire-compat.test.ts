/**
 * Wire compatibility with the tutorial's Python services, without our protos or stubs on
 * the peer side: requests and responses are protobuf bytes encoded by hand from the
 * tutorial's field numbers, sent over grpc-js with identity serializers.
 *  A: a tutorial-style client calls our servers.  B: our dashboard calls a tutorial-style
 *  ProductReceiverService server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, waitForPort } from '../support/ports.js';
import { CLI, ROOT, http, startSystem, type RunningSystem } from '../support/system.js';

// --- a minimal protobuf wire codec: strings, varints and nested messages ---
type Field = string | number | Buffer;
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
function encode(fields: Record<number, Field>): Buffer {
  const parts: Buffer[] = [];
  for (const [no, value] of Object.entries(fields)) {
    if (typeof value === 'number') parts.push(varint(Number(no) << 3), varint(value));
    else {
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      parts.push(varint((Number(no) << 3) | 2), varint(bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}
function decode(buf: Buffer): Record<number, Buffer | number> {
  const out: Record<number, Buffer | number> = {};
  let i = 0;
  const readVarint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      n += (b & 127) * mul;
      mul *= 128;
      if (b < 128) return n;
    }
  };
  while (i < buf.length) {
    const tag = readVarint();
    if ((tag & 7) === 0) out[tag >> 3] = readVarint();
    else {
      const len = readVarint();
      out[tag >> 3] = buf.subarray(i, i + len);
      i += len;
    }
  }
  return out;
}
const str = (v: unknown) => (v as Buffer).toString();
const identity = (b: Buffer) => b;
const method = (p: string): grpc.MethodDefinition<Buffer, Buffer> => ({
  path: p,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
function rawCall(target: string, p: string, body: Buffer): Promise<Buffer> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest(p, identity, identity, body, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res!))),
  ).finally(() => client.close());
}

describe('A: a tutorial client calling our servers', () => {
  let sys: RunningSystem;
  beforeAll(async () => {
    sys = await startSystem();
  });
  afterAll(async () => sys?.close());

  it('ProductReceiverService: create, update, delete by product_id', async () => {
    const id = '6f1c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';
    const created = decode(await rawCall(sys.productGrpc, '/product_receiver.ProductReceiverService/CreateProductFromReceiver', encode({ 1: encode({ 1: id, 2: 'Lamp', 3: 'http://img/l.png' }) })));
    expect(str(decode(created[1] as Buffer)[1])).toBe(id);
    await rawCall(sys.productGrpc, '/product_receiver.ProductReceiverService/Update', encode({ 1: encode({ 1: id, 2: 'Desk lamp' }) }));
    const copies = (await http('GET', `${sys.productUrl}/api/products`)).body;
    expect(copies.find((p: any) => p.id === id)).toMatchObject({ title: 'Desk lamp', image: null });
    const empty = await rawCall(sys.productGrpc, '/product_receiver.ProductReceiverService/Delete', encode({ 1: id }));
    expect(empty.length).toBe(0);
    expect((await http('GET', `${sys.productUrl}/api/products`)).body.some((p: any) => p.id === id)).toBe(false);
  });

  it('UserService.GetUser and ProductService.LikeProduct', async () => {
    const user = (await http('POST', `${sys.dashboardUrl}/api/user`)).body.id;
    expect(str(decode(await rawCall(sys.dashboardGrpc, '/user.UserService/GetUser', Buffer.alloc(0)))[1])).toBe(user);
    const product = (await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Mug' })).body;
    const liked = decode(decode(await rawCall(sys.dashboardGrpc, '/product.ProductService/LikeProduct', encode({ 1: product.id })))[1] as Buffer);
    expect(str(liked[1])).toBe(product.id);
    expect(str(liked[2])).toBe('Mug');
    expect(liked[4]).toBe(1);
    await expect(rawCall(sys.dashboardGrpc, '/product.ProductService/LikeProduct', encode({ 1: 'bad' }))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(rawCall(sys.dashboardGrpc, '/product.ProductService/LikeProduct', encode({ 1: '3b241101-e2bb-4255-8caf-4136c566a962' }))).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });
});

describe('B: our dashboard calling a tutorial-style product service', () => {
  const received: { method: string; fields: Record<number, Buffer | number> }[] = [];
  let server: grpc.Server;
  let dashboard: ChildProcess;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    server = new grpc.Server();
    const record = (name: string) => (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      received.push({ method: name, fields: decode(call.request) });
      cb(null, name === 'Delete' ? Buffer.alloc(0) : encode({ 1: call.request.length ? (decode(call.request)[1] as Buffer) : Buffer.alloc(0) }));
    };
    const p = '/product_receiver.ProductReceiverService/';
    server.addService(
      { CreateProductFromReceiver: method(`${p}CreateProductFromReceiver`), Update: method(`${p}Update`), Delete: method(`${p}Delete`) },
      { CreateProductFromReceiver: record('Create'), Update: record('Update'), Delete: record('Delete') },
    );
    const receiverPort = await new Promise<number>((r, j) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? j(e) : r(port))));
    dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-wire-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    dashboard = spawn(process.execPath, [CLI, 'runserver', `127.0.0.1:${port}`, '--service', 'dashboard', '--migrate'], {
      cwd: ROOT,
      env: { ...process.env, MGRPC_DATA_DIR: dataDir, PRODUCT_GRPC_SERVER: `127.0.0.1:${receiverPort}`, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await waitForPort(port);
  });
  afterAll(async () => {
    dashboard?.kill('SIGTERM');
    await new Promise((r) => dashboard?.once('exit', r));
    server?.forceShutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends CreateProductFromReceiver, Update and Delete as the tutorial defines them', async () => {
    const created = (await http('POST', `${url}/api/products`, { title: 'Chair', image: 'http://img/c.png' })).body;
    await http('PATCH', `${url}/api/products/${created.id}`, { title: 'Armchair' });
    expect((await http('DELETE', `${url}/api/products/${created.id}`)).status).toBe(204);
    expect(received.map((r) => r.method)).toEqual(['Create', 'Update', 'Delete']);
    const c = decode(received[0].fields[1] as Buffer);
    expect([str(c[1]), str(c[2]), str(c[3])]).toEqual([created.id, 'Chair', 'http://img/c.png']);
    expect(str(decode(received[1].fields[1] as Buffer)[2])).toBe('Armchair');
    expect(str(received[2].fields[1])).toBe(created.id);
  });
});
