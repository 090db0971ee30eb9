/**
 * The ceiling of LikeProduct on this machine: @grpc/grpc-js serving protos/product.proto
 * (loaded as the bare server loads it) and answering every like from memory, a count per
 * product id in a Map, no database at all. No server that stores a like can answer more
 * calls than this under the same load process: its ratio to the bare server is the most any
 * grpc-js server, ours included, can reach (`mgrpc bench`, docs/performance.md).
 *   BENCH_PORT=0 node dist/bench/bounds/grpc-ceiling-server.js   # prints {"port": N}
 */
import * as grpc from '@grpc/grpc-js';

import { productServiceClient } from '../product-proto.js';
import { serveGrpc } from '../bare/serve.js';

const likes = new Map<string, number>();
const server = new grpc.Server();
server.addService(productServiceClient().service, {
  LikeProduct(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
    const { id } = call.request;
    const count = (likes.get(id) ?? 0) + 1;
    likes.set(id, count);
    callback(null, { product: { id, title: 'bench like target', image: '', likes: String(count) } });
  },
});
await serveGrpc(server);
