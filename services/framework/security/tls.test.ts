/**
 * TLS and mutual TLS between real grpc-js servers and clients on loopback, with
 * certificates made by the openssl CLI at test time; plus the start-up errors for bad
 * certificate settings, through `serve()` as a service would hit them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AppError,
  createClient,
  grpcClientSecurity,
  grpcServerSecurity,
  serve,
  startGrpcServer,
  tlsSettings,
  type RunningGrpcServer,
} from '../index.js';
import { bookResource, defineBook } from '../../../test/support/book.js';
import { makeCertificates, type TestCertificates } from '../../../test/support/certificates.js';
import { bookService, libraryModule, loadBookService, openLibraryDatabase, recordingLogger } from '../../../test/support/library.js';

const BookService = loadBookService();
let certs: TestCertificates;
let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
const running: RunningGrpcServer[] = [];

beforeAll(async () => {
  certs = makeCertificates();
  db = await openLibraryDatabase();
});

afterAll(async () => {
  for (const server of running) await server.close(1000);
  await db?.cleanup();
  certs?.cleanup();
});

/** A Book server with the security `env` asks for; resolves its target. */
async function server(env: NodeJS.ProcessEnv): Promise<string> {
  const books = bookResource(defineBook(db.sequelize));
  const started = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [bookService(books)], logger: recordingLogger(), ...grpcServerSecurity(env) });
  running.push(started);
  return `127.0.0.1:${started.port}`;
}

/** One List call through a client configured from `env`: 'ok' or the AppError code. */
async function tryList(target: string, env: NodeJS.ProcessEnv): Promise<string> {
  const client = createClient(BookService.service, target, { name: 'library gRPC', deadlineMs: 3000, ...grpcClientSecurity(env) });
  try {
    await client.List({});
    return 'ok';
  } catch (err) {
    return (err as AppError).code;
  } finally {
    client.close();
  }
}

describe('TLS (server certificate only)', () => {
  let target: string;
  beforeAll(async () => {
    target = await server({ MGRPC_TLS_CERT: certs.serverCert, MGRPC_TLS_KEY: certs.serverKey });
  });

  it('a client trusting the CA completes the handshake and the call', async () => {
    expect(await tryList(target, { MGRPC_TLS_CA: certs.ca })).toBe('ok');
  });

  it('a plaintext client fails', async () => {
    expect(await tryList(target, {})).toBe('UNAVAILABLE');
  });

  it('a client trusting another CA refuses the server', async () => {
    const otherCa = path.join(certs.dir, 'other-ca.crt');
    expect(await tryList(target, { MGRPC_TLS_CA: otherCa })).toBe('UNAVAILABLE');
  });
});

describe('mutual TLS', () => {
  let target: string;
  const serverEnv = () => ({ MGRPC_TLS_CERT: certs.serverCert, MGRPC_TLS_KEY: certs.serverKey, MGRPC_TLS_CA: certs.ca });
  beforeAll(async () => {
    target = await server(serverEnv());
  });

  it('refuses a client without a certificate', async () => {
    expect(await tryList(target, { MGRPC_TLS_CA: certs.ca })).toBe('UNAVAILABLE');
  });

  it('refuses a client whose certificate another CA signed', async () => {
    expect(await tryList(target, { MGRPC_TLS_CA: certs.ca, MGRPC_TLS_CERT: certs.strangerCert, MGRPC_TLS_KEY: certs.strangerKey })).toBe('UNAVAILABLE');
  });

  it('accepts a client with a CA-signed certificate', async () => {
    expect(await tryList(target, { MGRPC_TLS_CA: certs.ca, MGRPC_TLS_CERT: certs.clientCert, MGRPC_TLS_KEY: certs.clientKey })).toBe('ok');
  });

  it('MGRPC_TLS_CLIENT_AUTH=none turns client certificates off', async () => {
    const relaxed = await server({ ...serverEnv(), MGRPC_TLS_CLIENT_AUTH: 'none' });
    expect(await tryList(relaxed, { MGRPC_TLS_CA: certs.ca })).toBe('ok');
  });

  it('works together with the service token', async () => {
    const both = await server({ ...serverEnv(), MGRPC_SERVICE_TOKEN: 'tok-123' });
    const client = { MGRPC_TLS_CA: certs.ca, MGRPC_TLS_CERT: certs.clientCert, MGRPC_TLS_KEY: certs.clientKey };
    expect(await tryList(both, { ...client, MGRPC_SERVICE_TOKEN: 'tok-123' })).toBe('ok');
    expect(await tryList(both, client)).toBe('INTERNAL');
  });
});

describe('start-up errors', () => {
  it('names the variable and path of a missing file', () => {
    const missing = path.join(certs.dir, 'nope.pem');
    expect(() => tlsSettings({ MGRPC_TLS_CERT: missing, MGRPC_TLS_KEY: certs.serverKey })).toThrow(`MGRPC_TLS_CERT=${missing}: cannot read the file (no such file)`);
    expect(() => tlsSettings({ MGRPC_TLS_CA: missing })).toThrow(`MGRPC_TLS_CA=${missing}: cannot read the file (no such file)`);
  });

  it('refuses half an identity, a key of another certificate, and a key where a certificate belongs', () => {
    expect(() => tlsSettings({ MGRPC_TLS_CERT: certs.serverCert })).toThrow('MGRPC_TLS_CERT is set but MGRPC_TLS_KEY is not');
    expect(() => tlsSettings({ MGRPC_TLS_KEY: certs.serverKey })).toThrow('MGRPC_TLS_KEY is set but MGRPC_TLS_CERT is not');
    expect(() => tlsSettings({ MGRPC_TLS_CERT: certs.serverCert, MGRPC_TLS_KEY: certs.clientKey })).toThrow(
      `MGRPC_TLS_KEY=${certs.clientKey} is not the private key of the certificate in MGRPC_TLS_CERT=${certs.serverCert}`,
    );
    expect(() => tlsSettings({ MGRPC_TLS_CA: certs.serverKey })).toThrow(`MGRPC_TLS_CA=${certs.serverKey}: not a PEM certificate`);
    expect(() => tlsSettings({ MGRPC_TLS_CLIENT_AUTH: 'require' })).toThrow('MGRPC_TLS_CLIENT_AUTH=require needs MGRPC_TLS_CA');
  });

  it('a server with only a CA refuses to start rather than serve plaintext', () => {
    expect(() => grpcServerSecurity({ MGRPC_TLS_CA: certs.ca })).toThrow('MGRPC_TLS_CA is set but MGRPC_TLS_CERT/MGRPC_TLS_KEY are not');
    // The same settings are fine for a process that is only a client.
    expect(() => grpcClientSecurity({ MGRPC_TLS_CA: certs.ca })).not.toThrow();
  });

  it('serve() fails with that one error before opening anything', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-tls-serve-'));
    try {
      const missing = path.join(certs.dir, 'missing.key');
      const env = { MGRPC_DATA_DIR: dataDir, MGRPC_TLS_CERT: certs.serverCert, MGRPC_TLS_KEY: missing, LOG_LEVEL: 'silent' };
      await expect(serve(libraryModule, 'grpc', { address: { host: '127.0.0.1', port: 0 }, env, migrate: true })).rejects.toThrow(
        `MGRPC_TLS_KEY=${missing}: cannot read the file (no such file)`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serve() runs mutual TLS from the environment', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mgrpc-tls-serve-'));
    const env = { MGRPC_DATA_DIR: dataDir, MGRPC_TLS_CERT: certs.serverCert, MGRPC_TLS_KEY: certs.serverKey, MGRPC_TLS_CA: certs.ca };
    const service = await serve(libraryModule, 'grpc', { address: { host: '127.0.0.1', port: 0 }, env, migrate: true });
    try {
      expect(await tryList(service.url, { MGRPC_TLS_CA: certs.ca, MGRPC_TLS_CERT: certs.clientCert, MGRPC_TLS_KEY: certs.clientKey })).toBe('ok');
      expect(await tryList(service.url, {})).toBe('UNAVAILABLE');
    } finally {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
