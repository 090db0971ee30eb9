/**
 * serve().close() as a drain, on the library module over a SQLite file in a temp dir, with
 * a deliberately slow REST route: new connections are refused at once, the in-flight request
 * finishes, then the drain hooks run in order (a stuck or failing one does not stop the
 * rest), then the module teardown and the database close. A request that outlives
 * MGRPC_DRAIN_MS is cut.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Router } from 'express';
import type { Sequelize } from 'sequelize';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { serve, sqliteUrl, type ServiceModule } from './index.js';
import { libraryModule, type LibraryContext } from '../../test/support/library.js';
import { waitUntil } from '../../test/support/wait.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => vi.stubEnv('LOG_LEVEL', 'silent'));
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-drain-'));
  env = { LIBRARY_DATABASE_URL: sqliteUrl(path.join(dir, 'library.sqlite3')) };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The library module plus GET /api/slow (answers when `release()` is called), recording what happens. */
function slowLibrary() {
  const events: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const state: { sequelize?: Sequelize } = {};
  const module: ServiceModule<LibraryContext> = {
    ...libraryModule,
    setup(args) {
      state.sequelize = args.sequelize;
      args.onDrain('first', () => void events.push('hook first'));
      args.onDrain('stuck', () => new Promise<void>(() => undefined), { timeoutMs: 100 });
      args.onDrain('failing', () => {
        throw new Error('boom');
      });
      args.onDrain('last', async () => void events.push('hook last'));
      return libraryModule.setup(args);
    },
    restRoutes(ctx) {
      const api = Router();
      api.get('/slow', async (_req, res) => {
        events.push('slow started');
        await released;
        events.push('slow answered');
        res.json({ slow: true });
      });
      api.use(libraryModule.restRoutes(ctx));
      return api;
    },
    teardown: () => void events.push('teardown'),
  };
  return { module, events, release, state };
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const until = (condition: () => boolean, what: string) => waitUntil(what, condition, 5000);

describe('serve().close() drains', () => {
  it('refuses new connections, finishes the in-flight request, then runs hooks, teardown and the database close in order', async () => {
    const { module, events, release, state } = slowLibrary();
    const service = await serve(module, 'rest', { address: { host: '127.0.0.1', port: 0 }, env, migrate: true, drainMs: 60_000 });
    try {
      expect(await (await fetch(`${service.url}/readyz`)).json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
      const slow = fetch(`${service.url}/api/slow`).then(async (res) => ({ status: res.status, body: await res.json() }));
      await until(() => events.includes('slow started'), 'the slow request to start');

      const closed = service.close();
      expect(service.close()).toBe(closed);
      expect(await connects(service.port)).toBe(false);
      expect(events).toEqual(['slow started']);

      release();
      expect(await slow).toEqual({ status: 200, body: { slow: true } });
      await closed;
      expect(events).toEqual(['slow started', 'slow answered', 'hook first', 'hook last', 'teardown']);
      await expect(state.sequelize!.query('SELECT 1')).rejects.toThrow();
    } finally {
      release();
      await service.close();
    }
  });

  it('cuts a request that outlives the drain bound, and still tears down', async () => {
    const { module, events, release } = slowLibrary();
    const service = await serve(module, 'rest', { address: { host: '127.0.0.1', port: 0 }, env: { ...env, MGRPC_DRAIN_MS: '200' }, migrate: true });
    try {
      const slow = fetch(`${service.url}/api/slow`).then(
        (res) => res.status,
        (err: unknown) => `failed: ${String(err)}`,
      );
      await until(() => events.includes('slow started'), 'the slow request to start');
      await service.close();
      expect(await slow).toMatch(/^failed: /);
      expect(events).toEqual(['slow started', 'hook first', 'hook last', 'teardown']);
    } finally {
      release();
    }
  });

  it('rejects a bad MGRPC_DRAIN_MS at start-up', async () => {
    await expect(serve(libraryModule, 'rest', { address: { host: '127.0.0.1', port: 0 }, env: { ...env, MGRPC_DRAIN_MS: 'soon' }, migrate: true })).rejects.toThrow(
      "MGRPC_DRAIN_MS must be a positive integer, got 'soon'",
    );
  });
});
