/**
 * The framework's own per-call layer, with no database: our gRPC server (startGrpcServer with
 * what the runtime gives the dashboard's: the call limit interceptor, the wire checks before
 * decoding, the handler wrapper with its request id, AppError table, `call` log line and
 * metrics; reflection and health) serving the dashboard's ProductService, whose LikeProduct
 * counts in a Map in memory. Held against the no-database ceiling (grpc-ceiling-server.ts) it
 * shows what that layer costs per call; held against the bare server, what the framework could
 * reach if its like cost no database work at all. Run by the bench with the servers' node
 * options (MGRPC_SERVER_NODE_OPTIONS), as ours run:
 *   BENCH_PORT=0 node dist/bench/bounds/framework-layer-server.js   # prints {"port": N}
 */
import { AppError, createLogger, createMetrics, defineService, startGrpcServer } from '../../services/framework/index.js';
import { proto } from '../../services/stubs/index.js';
import { announceAndStopWithBench } from '../bare/serve.js';

const likes = new Map<string, number>();
const notServed = async () => {
  throw new AppError('UNIMPLEMENTED', 'not in this bound');
};
const definition = proto.product.ProductService.service;
const service = defineService(definition, {
  ...Object.fromEntries(Object.keys(definition).map((name) => [name, notServed])),
  LikeProduct: async ({ id }: { id: string }) => {
    const count = (likes.get(id) ?? 0) + 1;
    likes.set(id, count);
    return { product: { id, title: 'bench like target', image: '', likes: String(count) } };
  },
} as never);
const logger = createLogger('bench.grpc');
const running = await startGrpcServer({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0), services: [service], logger, metrics: createMetrics({ service: 'bench', side: 'grpc' }) });
announceAndStopWithBench(running.port, () => running.close(1000));
