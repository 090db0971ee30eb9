/**
 * How the bench runs a bare gRPC server: bound on a loopback port (BENCH_PORT, or a free
 * one), `{"port": N}` printed on stdout once it listens, stopped on SIGTERM or when the
 * bench's end of stdin goes away (see bench/servers.ts), `beforeExit` then run.
 */
import * as grpc from '@grpc/grpc-js';

export async function serveGrpc(server: grpc.Server, beforeExit: () => Promise<void> = async () => undefined): Promise<void> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${process.env.BENCH_PORT ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.on('SIGTERM', () => server.tryShutdown(() => void beforeExit().finally(() => process.exit(0))));
  process.stdin.on('data', () => undefined);
  process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
}
