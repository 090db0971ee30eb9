/**
 * /readyz on the REST app, with real dependencies: a migrated SQLite file, a real gRPC
 * server as the peer (SERVING, then NOT_SERVING), a port with nothing on it, a peer that
 * accepts TCP but never answers, and a draining process.
 */
import http from 'node:http';
import net from 'node:net';

import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../../test/support/ports.js';
import { createReadiness, createRestApp, startGrpcServer, type RunningGrpcServer } from '../index.js';
import { bookResource, defineBook } from '../../../test/support/book.js';
import { bookService, openLibraryDatabase, recordingLogger } from '../../../test/support/library.js';

let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
let peer: RunningGrpcServer;
let blackHole: net.Server;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  db = await openLibraryDatabase();
  peer = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [bookService(bookResource(defineBook(db.sequelize)))], logger: recordingLogger() });
  // Accepts connections and never says a word (a hung peer).
  blackHole = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  await new Promise((resolve) => blackHole?.close(resolve));
  await peer?.close(500);
  await db?.cleanup();
});

/** Serves createRestApp with `readiness` on a loopback port for one GET /readyz. */
async function getReadyz(readiness: ReturnType<typeof createReadiness>) {
  const server = http.createServer(createRestApp({ api: Router(), logger: recordingLogger(), readiness }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/readyz`);
    return { status: res.status, connection: res.headers.get('connection'), body: (await res.json()) as { status: string; checks: Record<string, string> } };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('/readyz', () => {
  it('is 200 with every check ok when the database and the peer answer', async () => {
    const readiness = createReadiness({ sequelize: db.sequelize, peers: [{ name: 'library gRPC', target: `127.0.0.1:${peer.port}` }] });
    try {
      expect(await getReadyz(readiness)).toMatchObject({ status: 200, body: { status: 'ready', checks: { database: 'ok', 'library gRPC': 'ok' } } });
    } finally {
      readiness.close();
    }
  });

  it('is 503 naming each peer that is down, hung or not serving', async () => {
    const downTarget = `127.0.0.1:${await freePort()}`;
    const hungTarget = `127.0.0.1:${(blackHole.address() as net.AddressInfo).port}`;
    const readiness = createReadiness({
      sequelize: db.sequelize,
      timeoutMs: 500,
      peers: [
        { name: 'down gRPC', target: downTarget },
        { name: 'hung gRPC', target: hungTarget },
        { name: 'library gRPC', target: `127.0.0.1:${peer.port}` },
      ],
    });
    peer.health.notServing();
    try {
      const { status, body } = await getReadyz(readiness);
      expect(status).toBe(503);
      expect(body.status).toBe('not ready');
      expect(body.checks.database).toBe('ok');
      expect(body.checks['down gRPC']).toMatch(new RegExp(`^unavailable: cannot reach ${downTarget} \\(.+\\)$`));
      expect(body.checks['hung gRPC']).toBe(`unavailable: no answer from ${hungTarget} within 500 ms`);
      expect(body.checks['library gRPC']).toBe('not serving (NOT_SERVING)');
    } finally {
      peer.health.serving();
      readiness.close();
    }
  });

  it('is 503 when the database does not answer', async () => {
    const other = await openLibraryDatabase();
    await other.sequelize.close();
    const readiness = createReadiness({ sequelize: other.sequelize });
    try {
      const { status, body } = await getReadyz(readiness);
      expect(status).toBe(503);
      expect(body.checks.database).toMatch(/^unavailable: /);
    } finally {
      readiness.close();
      await other.cleanup().catch(() => undefined);
    }
  });

  it('is 503 "draining" once a drain started, and asks the client to close the connection', async () => {
    const readiness = createReadiness({ sequelize: db.sequelize });
    readiness.startDraining();
    try {
      expect(await getReadyz(readiness)).toEqual({ status: 503, connection: 'close', body: { status: 'draining', checks: {} } });
    } finally {
      readiness.close();
    }
  });
});
