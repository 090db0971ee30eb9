/**
 * The bench's NestJS peer: a gRPC microservice (@nestjs/microservices, Transport.GRPC)
 * serving protos/product.proto's LikeProduct. Run by `mgrpc bench --peers`:
 *   BENCH_DB=… BENCH_PORT=N BENCH_PROTO_DIR=… BENCH_BARE_OPEN=…/dist/bench/bare/open.js node dist/main.js
 * and prints `{"port": N}` once it listens.
 */
import 'reflect-metadata';
import path from 'node:path';

import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { AppModule } from './app.module.js';

const port = Number(process.env.BENCH_PORT);
const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
  transport: Transport.GRPC,
  options: {
    package: 'product',
    protoPath: path.join(process.env.BENCH_PROTO_DIR!, 'product.proto'),
    url: `127.0.0.1:${port}`,
  },
  // Errors only: the framework and the bare server log no line per request either.
  logger: ['error'],
});
app.enableShutdownHooks();
await app.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);

// The bench holds the other end of stdin: when it is gone, stop (see bench/servers.ts).
process.stdin.on('data', () => undefined);
process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
