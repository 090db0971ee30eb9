/**
 * The framework's own per-call layer, with no database (framework-layer.ts), its LikeProduct
 * counting in a Map in memory. Held against the no-database ceiling (grpc-ceiling-server.ts) it
 * shows what that layer costs per call; held against the bare server, what the framework could
 * reach if its like cost no database work at all.
 *   BENCH_PORT=0 node dist/bench/bounds/framework-layer-server.js   # prints {"port": N}
 */
import { serveOnFrameworkLayer } from './framework-layer.js';

const likes = new Map<string, number>();
await serveOnFrameworkLayer(async (id) => {
  const count = (likes.get(id) ?? 0) + 1;
  likes.set(id, count);
  return { product: { id, title: 'bench like target', image: '', likes: String(count) } };
});
