/**
 * One Connect or gRPC-Web call's bookkeeping, the counterpart of grpc/server.ts's: made when
 * the HTTP request arrives, finished once, by whichever knows the outcome first: the service
 * adapter (its handler's answer, or the deadline) or, for a call refused before any handler
 * ran (an unparsable body, a wrong content type), the HTTP response. Then one line
 *   INFO [dashboard.rest] call method=/product.ProductService/LikeProduct code=OK duration_ms=2.4 request_id=… protocol=connect
 * and the same metrics as a gRPC call, with their `protocol` label (observability/call-report.ts).
 */
import { createContextKey } from '@connectrpc/connect';

import type { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { reportCall } from '../observability/call-report.js';

export interface CallRecord {
  readonly method: string;
  readonly requestId: string;
  readonly peer: string;
  /** The client's address without its port: what stream limits count by. */
  readonly client: string;
  protocol: string;
  /** Outcomes of a batch call's items (CallContext.countItem), by status name. */
  items?: Record<string, number>;
  /** The request message refused on its wire bytes (wire-guard.ts), thrown once the token is checked. */
  refusal?: AppError;
  /** Records the outcome; later calls are ignored. */
  finish(code: string, fields?: Record<string, unknown>): void;
  readonly finished: boolean;
}

export const CALL_RECORD = createContextKey<CallRecord | undefined>(undefined, { description: 'mgrpc call record' });

export function createCallRecord(init: { method: string; requestId: string; peer: string; client: string; protocol: string; logger: Logger; metrics?: Metrics }): CallRecord {
  const started = performance.now();
  let finished = false;
  const record: CallRecord = {
    method: init.method,
    requestId: init.requestId,
    peer: init.peer,
    client: init.client,
    protocol: init.protocol,
    get finished() {
      return finished;
    },
    finish(code, fields) {
      if (finished) return;
      finished = true;
      reportCall(init.logger, init.metrics, init.method, code, (performance.now() - started) / 1000, record, record.items, record.protocol, fields);
    },
  };
  return record;
}

/**
 * What a call refused before any handler ran answered, from its HTTP response: gRPC-Web
 * carries the status in `grpc-status`; a Connect error in its HTTP status (the inverse of the
 * Connect protocol's code-to-status table, where it is one-to-one enough to name the cause).
 */
export function codeOfResponse(status: number, grpcStatus: string | undefined, names: (code: number) => string): string {
  if (grpcStatus !== undefined && /^\d+$/.test(grpcStatus)) return names(Number(grpcStatus));
  return HTTP_CODES[status] ?? (status === 200 ? 'UNKNOWN' : 'INTERNAL');
}

const HTTP_CODES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'UNIMPLEMENTED',
  405: 'UNIMPLEMENTED',
  408: 'DEADLINE_EXCEEDED',
  409: 'ALREADY_EXISTS',
  413: 'RESOURCE_EXHAUSTED',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
