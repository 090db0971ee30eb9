/**
 * How a finished call is reported, the same for every protocol a server speaks (grpc/server.ts
 * for gRPC, connect/call-record.ts for Connect and gRPC-Web): the call metrics, each batch
 * item's outcome, then one info line
 *   INFO [dashboard.grpc] call method=/product.ProductService/LikeProduct code=OK duration_ms=2.4 request_id=…
 * with `items` for a batch call and `protocol` when it is not gRPC. The line's fields, and
 * the request id they name (made on first use, observability/request-context.ts), are built
 * only when the line is written: most calls at LOG_LEVEL=warn build neither.
 * Positional arguments, not an options object: it runs once per call.
 */
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';

export function reportCall(
  logger: Logger,
  metrics: Metrics | undefined,
  method: string,
  code: string,
  seconds: number,
  request: { readonly requestId: string },
  items: Record<string, number> | undefined,
  protocol?: string,
  fields?: Record<string, unknown>,
): void {
  metrics?.observeGrpc(method, code, seconds, protocol);
  if (items) for (const [itemCode, n] of Object.entries(items)) metrics?.observeGrpcItems(method, itemCode, n);
  if (!logger.enabled('info')) return;
  logger.info('call', {
    method,
    code,
    duration_ms: Math.round(seconds * 10_000) / 10,
    request_id: request.requestId,
    ...(items && { items }),
    ...(protocol !== undefined && { protocol }),
    ...fields,
  });
}
