/**
 * The bench's NestJS peer of the REST like: an HTTP app (@nestjs/platform-express, Nest's
 * default platform) whose `POST /like/:id {user_id}` records the like and calls LikeProduct
 * on the NestJS gRPC peer (main.ts) through a gRPC client from @nestjs/microservices: the bare
 * pipeline (bench/bare/rest-like-pipeline.ts) written as Nest's docs lead a user. Run by
 * `mgrpc bench --peers`:
 *   BENCH_DB=… BENCH_PORT=N BENCH_PROTO_DIR=… BENCH_BARE_OPEN=…/dist/bench/bare/open.js BENCH_DASHBOARD_GRPC=127.0.0.1:M node dist/rest-main.js
 * and prints `{"port": N}` once it listens.
 */
import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';

import { RestModule } from './rest.module.js';

const port = Number(process.env.BENCH_PORT);
// Errors only, as the gRPC peer: no line per request.
const app = await NestFactory.create(RestModule, { logger: ['error'] });
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);

// The bench holds the other end of stdin: when it is gone, stop (see bench/servers.ts).
process.stdin.on('data', () => undefined);
process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
