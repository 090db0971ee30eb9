/**
 * The bench's connect-node peer: protos/product.proto's LikeProduct served by
 * connectNodeAdapter on Node's HTTP/2 server (cleartext, which gRPC clients speak; the
 * adapter answers the gRPC, gRPC-Web and Connect protocols). Run by `mgrpc bench --peers`:
 *   BENCH_DB=… BENCH_PORT=N BENCH_BARE_OPEN=…/dist/bench/bare/open.js node dist/main.js
 * and prints `{"port": N}` once it listens.
 */
import http2 from 'node:http2';

import { connectNodeAdapter } from '@connectrpc/connect-node';

import { openDatabase } from './database.js';
import { routes } from './routes.js';

const db = await openDatabase();
const server = http2.createServer(connectNodeAdapter({ routes: routes(db) }));
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: Number(process.env.BENCH_PORT) })}\n`);
});
process.on('SIGTERM', () => server.close(() => void db.close().finally(() => process.exit(0))));

// The bench holds the other end of stdin: when it is gone, stop (see bench/servers.ts).
process.stdin.on('data', () => undefined);
process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
