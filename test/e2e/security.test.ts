/**
 * The four real processes with a service token and an API key configured: the tutorial
 * flow still works end to end, every gRPC method refuses a caller without the token (or
 * with a wrong one) and nothing changes, REST writes need the key (the tutorial's GET like
 * included), the CLI sends MGRPC_API_KEY, and neither secret appears in any process output.
 * Then the same system over mutual TLS, with certificates made by openssl at test time.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeCertificates, type TestCertificates } from '../support/certificates.js';
import { proto } from '../../services/stubs/index.js';
import { http, runCli, startSystem, type RunningSystem } from '../support/system.js';

const TOKEN = 'e2e-service-token-5f1c0ad2b9';
const KEY = 'e2e-api-key-71e4c3d8aa';
const withKey = { 'x-api-key': KEY };

let sys: RunningSystem;

beforeAll(async () => {
  sys = await startSystem({ env: { MGRPC_SERVICE_TOKEN: TOKEN, MGRPC_API_KEY: KEY, LOG_LEVEL: 'debug' } });
});

afterAll(async () => {
  await sys?.close();
});

/** One call without the mgrpc client: resolves the response, or the grpc status code. */
function rawCall(target: string, method: { path: string; requestSerialize: (v: any) => Buffer; responseDeserialize: (b: Buffer) => any }, request: object, authorization?: string) {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (authorization) metadata.set('authorization', authorization);
  return new Promise<{ code: number; response?: unknown }>((resolve) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, { deadline: Date.now() + 5000 }, (err, response) => {
      client.close();
      resolve(err ? { code: err.code } : { code: grpc.status.OK, response });
    });
  });
}

async function dashboardProduct(id: string) {
  const res = await http('GET', `${sys.dashboardUrl}/api/products/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body as { id: string; title: string; likes: number };
}

async function productCopies() {
  const res = await http('GET', `${sys.productUrl}/api/products`);
  expect(res.status).toBe(200);
  return res.body as { id: string; title: string }[];
}

describe('with MGRPC_SERVICE_TOKEN and MGRPC_API_KEY', () => {
  let productId: string;

  it('the flow still works: create on the dashboard, the copy reaches the product service, likes count', async () => {
    const user = await http('POST', `${sys.dashboardUrl}/api/user`, undefined, withKey);
    expect(user.status, user.text).toBe(201);
    const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Signed pen' }, withKey);
    expect(created.status, created.text).toBe(201);
    productId = created.body.id;
    expect((await productCopies()).find((p) => p.id === productId)).toMatchObject({ title: 'Signed pen' });

    // The tutorial's GET like picks a random user through the dashboard's UserService, then
    // counts through its ProductService: two authenticated gRPC calls.
    const getLike = await http('GET', `${sys.productUrl}/api/products/${productId}/like`, undefined, { authorization: `Bearer ${KEY}` });
    expect(getLike.status, getLike.text).toBe(200);
    expect(getLike.body.user_id).toBe(user.body.id);
    expect((await dashboardProduct(productId)).likes).toBe(1);
    const second = await http('POST', `${sys.dashboardUrl}/api/user`, undefined, withKey);
    const like = await http('POST', `${sys.productUrl}/api/products/${productId}/like`, { user_id: second.body.id }, withKey);
    expect(like.status, like.text).toBe(200);
    expect((await dashboardProduct(productId)).likes).toBe(2);
  });

  it('REST writes without the key get 401 and change nothing; reads stay open', async () => {
    const before = await dashboardProduct(productId);
    const create = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Sneaky' });
    expect(create.status).toBe(401);
    expect(create.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(create.headers.get('www-authenticate')).toContain('Bearer');
    expect((await http('PATCH', `${sys.dashboardUrl}/api/products/${productId}`, { title: 'Renamed' }, { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await http('DELETE', `${sys.dashboardUrl}/api/products/${productId}`)).status).toBe(401);
    expect((await http('GET', `${sys.productUrl}/api/products/${productId}/like`)).status).toBe(401);
    expect((await http('POST', `${sys.productUrl}/api/products/${productId}/like`, {})).status).toBe(401);
    expect(await dashboardProduct(productId)).toEqual(before);
    expect((await productCopies()).map((p) => p.title)).not.toContain('Sneaky');
    expect((await http('GET', `${sys.dashboardUrl}/healthz`)).status).toBe(200);
  });

  for (const [what, authorization] of [
    ['no token', undefined],
    ['a wrong token', `Bearer ${TOKEN.slice(0, -1)}`],
  ] as const) {
    it(`gRPC callers with ${what} get UNAUTHENTICATED from every method, and nothing changes`, async () => {
      const before = await dashboardProduct(productId);
      const copiesBefore = await productCopies();
      const receiver = proto.product_receiver.ProductReceiverService.service;
      const results = {
        LikeProduct: await rawCall(sys.dashboardGrpc, proto.product.ProductService.service.LikeProduct, { id: productId }, authorization),
        GetUser: await rawCall(sys.dashboardGrpc, proto.user.UserService.service.GetUser, {}, authorization),
        CreateProductFromReceiver: await rawCall(
          sys.productGrpc,
          receiver.CreateProductFromReceiver,
          { productReceiver: { productId: '0b7f8a4e-1f0a-4c59-9d55-3f5c2f6f7a11', title: 'Injected' } },
          authorization,
        ),
        Update: await rawCall(sys.productGrpc, receiver.Update, { productReceiver: { productId, title: 'Hijacked' } }, authorization),
        Delete: await rawCall(sys.productGrpc, receiver.Delete, { productId }, authorization),
      };
      for (const [method, result] of Object.entries(results)) expect(result.code, method).toBe(grpc.status.UNAUTHENTICATED);
      expect(await dashboardProduct(productId)).toEqual(before);
      expect(await productCopies()).toEqual(copiesBefore);
    });
  }

  it('the right token opens a raw call (the refusals above are about the token)', async () => {
    const result = await rawCall(sys.dashboardGrpc, proto.user.UserService.service.GetUser, {}, `Bearer ${TOKEN}`);
    expect(result.code).toBe(grpc.status.OK);
  });

  it('the CLI sends MGRPC_API_KEY; without it, a write is refused with a hint', () => {
    const urls = { MGRPC_DASHBOARD_URL: sys.dashboardUrl, MGRPC_PRODUCT_URL: sys.productUrl };
    const ok = runCli(['product', 'create', '--title', 'From the CLI', '--json'], { ...urls, MGRPC_API_KEY: KEY });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ title: 'From the CLI' });
    const refused = runCli(['product', 'create', '--title', 'No key', '--json'], { ...urls, MGRPC_API_KEY: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('missing or invalid API key');
    expect(refused.stderr).toContain('set MGRPC_API_KEY');
    expect(`${ok.stdout}${ok.stderr}${refused.stdout}${refused.stderr}`).not.toContain(KEY);
  });

  it('no process printed either secret', () => {
    const output = Object.values(sys.logs).flat().join('');
    expect(output).toContain('listening');
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(KEY);
  });
});

describe('over mutual TLS (MGRPC_TLS_CERT/KEY/CA in every process)', () => {
  let certs: TestCertificates;
  let tls: RunningSystem;

  beforeAll(async () => {
    certs = makeCertificates();
    tls = await startSystem({ env: { MGRPC_TLS_CERT: certs.peerCert, MGRPC_TLS_KEY: certs.peerKey, MGRPC_TLS_CA: certs.ca } });
  });

  afterAll(async () => {
    await tls?.close();
    certs?.cleanup();
  });

  it('the flow works across the services, and a plaintext caller is refused', async () => {
    const user = await http('POST', `${tls.dashboardUrl}/api/user`);
    expect(user.status, user.text).toBe(201);
    const created = await http('POST', `${tls.dashboardUrl}/api/products`, { title: 'Sealed pen' });
    expect(created.status, created.text).toBe(201);
    const copies = await http('GET', `${tls.productUrl}/api/products`);
    expect(copies.body.map((p: { id: string }) => p.id)).toContain(created.body.id);
    const like = await http('POST', `${tls.productUrl}/api/products/${created.body.id}/like`, { user_id: user.body.id });
    expect(like.status, like.text).toBe(200);
    expect((await http('GET', `${tls.dashboardUrl}/api/products/${created.body.id}`)).body.likes).toBe(1);

    const plaintext = await rawCall(tls.dashboardGrpc, proto.user.UserService.service.GetUser, {});
    expect(plaintext.code).toBe(grpc.status.UNAVAILABLE);
  });
});
