/**
 * How the bench runs a bare or bound server: on a loopback port (BENCH_PORT, or a free one),
 * `{"port": N}` printed on stdout once it listens, stopped on SIGTERM or when the bench's end
 * of stdin goes away (see bench/servers.ts), `beforeExit` then run.
 */
import type { AddressInfo } from 'node:net';

import * as grpc from '@grpc/grpc-js';
import type { Express } from 'express';

/** Prints the port for the bench, and stops (closing, then `beforeExit`) when told to or when the bench is gone. */
export function announceAndStopWithBench(port: number, close: () => Promise<void>, beforeExit: () => Promise<void> = async () => undefined): void {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.on('SIGTERM', () => void close().then(beforeExit).finally(() => process.exit(0)));
  process.stdin.on('data', () => undefined);
  process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
}

/** `beforeShutdown` runs first when stopping (a server with open streams ends them there). */
export async function serveGrpc(server: grpc.Server, beforeExit?: () => Promise<void>, beforeShutdown: () => void = () => undefined): Promise<void> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${process.env.BENCH_PORT ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const close = () =>
    new Promise<void>((resolve) => {
      beforeShutdown();
      server.tryShutdown(() => resolve());
    });
  announceAndStopWithBench(port, close, beforeExit);
}

export async function serveHttp(app: Express, beforeExit?: () => Promise<void>): Promise<void> {
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const listening = app.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', () => resolve(listening));
  });
  announceAndStopWithBench((server.address() as AddressInfo).port, () => new Promise<void>((resolve) => server.close(() => resolve())), beforeExit);
}
