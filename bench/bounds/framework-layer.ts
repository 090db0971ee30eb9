/**
 * The framework's own per-call layer around a LikeProduct of a bound's choosing: our gRPC server
 * (startGrpcServer with what the runtime gives the dashboard's: the call limit interceptor, the
 * wire checks before decoding, the handler wrapper with its request id, AppError table, `call`
 * log line and metrics; reflection and health) serving the dashboard's ProductService with
 * `likeProduct` as its LikeProduct and every other method UNIMPLEMENTED. The bench runs these
 * sides with the servers' node options (MGRPC_SERVER_NODE_OPTIONS), as ours run.
 */
import { AppError, createLogger, createMetrics, defineService, startGrpcServer } from '../../services/framework/index.js';
import { proto } from '../../services/stubs/index.js';
import { announceAndStopWithBench } from '../bare/serve.js';
import type { LikeAnswer } from './like-batches.js';

/** Serves `likeProduct` on the framework's layer on BENCH_PORT; `beforeExit` once it has closed. */
export async function serveOnFrameworkLayer(likeProduct: (id: string) => Promise<LikeAnswer>, beforeExit?: () => Promise<void>): Promise<void> {
  const notServed = async () => {
    throw new AppError('UNIMPLEMENTED', 'not in this bound');
  };
  const definition = proto.product.ProductService.service;
  const service = defineService(definition, {
    ...Object.fromEntries(Object.keys(definition).map((name) => [name, notServed])),
    LikeProduct: ({ id }: { id: string }) => likeProduct(id),
  } as never);
  const logger = createLogger('bench.grpc');
  const running = await startGrpcServer({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0), services: [service], logger, metrics: createMetrics({ service: 'bench', side: 'grpc' }) });
  announceAndStopWithBench(running.port, () => running.close(1000), beforeExit);
}
