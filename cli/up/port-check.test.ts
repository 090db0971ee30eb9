import net from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { accepts, connectHost, listenProblem, waitUntilAccepting } from './port-check.js';

const servers: net.Server[] = [];

function listen(port = 0): Promise<number> {
  const server = net.createServer((socket) => socket.destroy());
  servers.push(server);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('listenProblem', () => {
  it('is undefined for a free port and EADDRINUSE for a taken one', async () => {
    const port = await listen();
    expect(await listenProblem('127.0.0.1', port)).toBe('EADDRINUSE');
    await new Promise((r) => servers.pop()!.close(r));
    expect(await listenProblem('127.0.0.1', port)).toBeUndefined();
  });
});

describe('waitUntilAccepting', () => {
  it('resolves once a server listens', async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    expect(await accepts('127.0.0.1', port)).toBe(false);
    setTimeout(() => void listen(port), 200);
    await waitUntilAccepting('127.0.0.1', port, { timeoutMs: 5000, intervalMs: 20 });
  });

  it('gives up after its timeout, or when aborted', async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    await expect(waitUntilAccepting('127.0.0.1', port, { timeoutMs: 100, intervalMs: 20 })).rejects.toThrow(/within 0.1 s/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stopped')), 50);
    await expect(waitUntilAccepting('127.0.0.1', port, { timeoutMs: 5000, intervalMs: 20, signal: controller.signal })).rejects.toThrow('stopped');
  });
});

describe('connectHost', () => {
  it('maps wildcard addresses to loopback', () => {
    expect(['0.0.0.0', '::', '127.0.0.1', 'example.org'].map(connectHost)).toEqual(['127.0.0.1', '::1', '127.0.0.1', 'example.org']);
  });
});
