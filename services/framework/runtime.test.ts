/**
 * serve() running the library module on loopback ports over a SQLite file in a temp dir:
 * the pending-migrations guard, both sides answering, clean close, and listen errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { createClient, migrateService, serve, sqliteUrl, type RunningService, type ServiceModule } from './index.js';
import { libraryModule, loadBookService, type LibraryContext } from '../../test/support/library.js';

const loopback = { host: '127.0.0.1', port: 0 };

let dir: string;
let env: NodeJS.ProcessEnv;
let running: RunningService[] = [];

beforeAll(() => {
  vi.stubEnv('LOG_LEVEL', 'silent');
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-runtime-'));
  env = { LIBRARY_DATABASE_URL: sqliteUrl(path.join(dir, 'library.sqlite3')) };
});

afterEach(async () => {
  await Promise.all(running.map((r) => r.close()));
  running = [];
  rmSync(dir, { recursive: true, force: true });
});

async function start(module: ServiceModule<LibraryContext>, side: 'rest' | 'grpc', options: { migrate?: boolean; port?: number } = {}) {
  const service = await serve(module, side, { address: { ...loopback, port: options.port ?? 0 }, env, migrate: options.migrate });
  running.push(service);
  return service;
}

describe('serve', () => {
  it.each(['grpc', 'rest'] as const)('refuses to start %s with pending migrations and names the command', async (side) => {
    await expect(serve(libraryModule, side, { address: loopback, env })).rejects.toThrow(
      `the library database (${env.LIBRARY_DATABASE_URL}) has 3 unapplied migration(s): mgrpc-0001-outbox, mgrpc-0002-changes, 0001-books; run \`mgrpc migrate --service library\` (or start with --migrate)`,
    );
    // Once migrated, the same call starts.
    await migrateService(libraryModule, env);
    const service = await serve(libraryModule, side, { address: loopback, env });
    running.push(service);
    expect(service.port).toBeGreaterThan(0);
  });

  it('with migrate: true, the gRPC side starts, answers, and closes', async () => {
    const service = await start(libraryModule, 'grpc', { migrate: true });
    expect(service.url).toBe(`127.0.0.1:${service.port}`);
    // A deadline above the client's UNAVAILABLE retry budget (~1.5 s), so a closed server reads as unavailable.
    const books = createClient(loadBookService().service, service.url, { name: 'library gRPC', deadlineMs: 3000 });
    try {
      const created = (await books.Create({ title: 'Dune' })) as { id: string };
      expect(await books.Retrieve({ id: created.id })).toMatchObject({ title: 'Dune' });
      running = [];
      await service.close();
      await expect(books.Retrieve({ id: created.id })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      books.close();
    }
  });

  it('with migrate: true, the REST side starts, answers, and closes despite a kept-alive connection', async () => {
    const service = await start(libraryModule, 'rest', { migrate: true });
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const created = await fetch(`${service.url}/api/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"Emma"}' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await fetch(`${service.url}/api/books/${id}`)).status).toBe(200);

    running = [];
    const started = Date.now();
    await service.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });

  it('both sides share the service database', async () => {
    const rest = await start(libraryModule, 'rest', { migrate: true });
    const grpcSide = await start(libraryModule, 'grpc');
    const res = await fetch(`${rest.url}/api/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"Shared"}' });
    const { id } = (await res.json()) as { id: string };
    const books = createClient(loadBookService().service, grpcSide.url, { name: 'library gRPC' });
    try {
      expect(await books.Retrieve({ id })).toMatchObject({ id, title: 'Shared' });
    } finally {
      books.close();
    }
  });

  it('runs the module teardown on close', async () => {
    const events: string[] = [];
    const module: ServiceModule<LibraryContext> = { ...libraryModule, teardown: () => void events.push('teardown') };
    const service = await start(module, 'grpc', { migrate: true });
    expect(events).toEqual([]);
    running = [];
    await service.close();
    expect(events).toEqual(['teardown']);
  });

  it.each([
    ['rest', 'library REST'],
    ['grpc', 'library gRPC'],
  ] as const)('explains a %s port already in use, and releases the database', async (side, what) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as net.AddressInfo;
    const events: string[] = [];
    const module: ServiceModule<LibraryContext> = { ...libraryModule, teardown: () => void events.push('teardown') };
    try {
      await expect(serve(module, side, { address: { host: '127.0.0.1', port }, env, migrate: true })).rejects.toThrow(
        `${what} cannot listen on 127.0.0.1:${port}: the port is already in use (choose another address, or stop what runs there)`,
      );
      expect(events).toEqual(['teardown']);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
