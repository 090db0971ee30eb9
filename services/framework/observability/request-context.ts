/**
 * The request id of the work in progress, carried on the async path (AsyncLocalStorage) so
 * that every log line, every outgoing gRPC call and every outbox entry made while handling
 * a request names the request that caused it. It enters at the edges: the `x-request-id`
 * header of a REST request (or a fresh UUID), the `x-request-id` metadata of a gRPC call.
 *
 * @example
 *   runWithRequestId(requestIdFrom(req.get('x-request-id')), () => handle(req));
 *   currentRequestId(); // inside: the id, outside any request: undefined
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The HTTP header and gRPC metadata key that carries the id between processes. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The longest id accepted from a caller; longer ones are replaced, not cut (a cut id matches nothing). */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * The id of one request. A caller's id is kept as given; without one, the fresh UUID is made
 * the first time something asks for it (a log line, an outgoing call, an outbox entry), so a
 * call that is never asked (most, at LOG_LEVEL=warn) costs no UUID. Once made it stays.
 */
export class RequestContext {
  constructor(private id?: string) {}

  get requestId(): string {
    return (this.id ??= randomUUID());
  }
}

const storage = new AsyncLocalStorage<RequestContext | undefined>();

// Printable ASCII without spaces: it goes into headers, metadata and log lines verbatim,
// so nothing that could split a line or a header is let through.
const VALID = /^[\x21-\x7e]+$/;

/** The caller's id when it is usable (printable ASCII, 1–128 characters), else a new UUID. */
export function requestIdFrom(raw: unknown): string {
  return usableId(raw) ?? randomUUID();
}

function usableId(raw: unknown): string | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && value.length <= MAX_REQUEST_ID_LENGTH && VALID.test(value) ? value : undefined;
}

/** The context of a request whose caller sent `raw`: its id when usable, else one made on first use. */
export function requestContextFrom(raw: unknown): RequestContext {
  return new RequestContext(usableId(raw));
}

/** Runs fn with `requestId` as the current request id (undefined: explicitly none). */
export function runWithRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return storage.run(requestId === undefined ? undefined : new RequestContext(requestId), fn);
}

/** Runs fn inside `context` (see requestContextFrom). */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The request id of the current async path, if it started from a request. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
