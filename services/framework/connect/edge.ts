/**
 * The gRPC services of a process, served on its REST port over the Connect protocol (JSON
 * and binary) and gRPC-Web, at the standard paths `/<package>.<Service>/<Method>`, for
 * browsers and for HTTP/1.1 clients (connect-es's Node adapter; native gRPC stays on the
 * gRPC port). Mounted first in the REST app, before its JSON body parser, which would
 * otherwise consume a Connect JSON body.
 *
 * Per request: CORS (cors.ts), a call record (call-record.ts) that logs and counts it as a
 * gRPC call with its protocol, the wire checks on its body (wire-guard.ts), then connect-es,
 * which calls the service adapter (service-adapter.ts) for the handler. The loop is
 * connect-node's `connectNodeAdapter` opened up (its route lookup, request and response
 * conversion), so that the body can be checked before connect-es decodes it and a failure
 * is logged through our logger. `close()` ends open streams on shutdown.
 *
 * @example
 *   const rpc = connectEdge({ services: module.grpcServices(ctx), logger, corsOrigins: corsOriginsFromEnv(env) });
 *   createRestApp({ ..., rpc });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';

import { ConnectError, Code, createConnectRouter, createContextValues } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';

import type { ConcurrencyLimits } from '../grpc/concurrency-limits.js';
import type { GrpcService } from '../grpc/define-service.js';
import type { RequestLimits } from '../grpc/request-limits.js';
import { DEFAULT_MAX_MESSAGE_BYTES, SHUTDOWN_DETAILS } from '../grpc/server.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { REQUEST_ID_HEADER, requestIdFrom } from '../observability/request-context.js';
import { isExemptFromServiceToken, presentsToken } from '../security/service-token.js';
import { CALL_RECORD, codeOfResponse, createCallRecord } from './call-record.js';
import { applyCors, type CorsOrigins } from './cors.js';
import { codeName } from './errors.js';
import { createServiceAdapter } from './service-adapter.js';
import { bodyFormatOf, emptyBody, guardBody } from './wire-guard.js';

// The runtime loads this module lazily, and the CORS setting with it.
export { CORS_ORIGINS_ENV, corsOriginsFromEnv, type CorsOrigins } from './cors.js';

/** Content-Encodings of a unary body the wire guard inflates (those connect-es accepts here), bounded. */
const INFLATE = new Map<string, (bytes: Uint8Array, maxBytes: number) => Uint8Array>([
  ['gzip', (bytes, maxBytes) => zlib.gunzipSync(bytes, { maxOutputLength: maxBytes })],
  ['br', (bytes, maxBytes) => zlib.brotliDecompressSync(bytes, { maxOutputLength: maxBytes })],
]);

export interface ConnectEdgeOptions {
  services: GrpcService[];
  logger: Logger;
  metrics?: Metrics;
  /** Web origins allowed to call from a browser (default: none but the REST port's own). */
  corsOrigins?: CorsOrigins;
  /** As on the gRPC port: when set, calls need `authorization: Bearer <token>`. */
  serviceToken?: string;
  /** Largest request message (default 4 MiB, as gRPC); larger ones get RESOURCE_EXHAUSTED before decoding. */
  maxMessageBytes?: number;
  requestLimits?: Partial<RequestLimits>;
  concurrency?: Partial<ConcurrencyLimits>;
}

export interface ConnectEdge {
  /** Node request handler: answers the RPC paths, calls `next` for every other path. */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void;
  /** The service names served, e.g. `product.ProductService`. */
  readonly services: string[];
  /** Ends open streams (UNAVAILABLE) and refuses new calls' handlers: the process is going away. */
  close(): void;
}

function serviceNameOf(definition: grpc.ServiceDefinition): string {
  const first = Object.values(definition)[0] as { path: string } | undefined;
  return first ? first.path.slice(1).split('/')[0]! : '';
}

/** The protocol a request speaks, from its content type, before connect-es has looked. */
function protocolOf(req: IncomingMessage): string {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/grpc-web')) return 'grpc-web';
  if (type.startsWith('application/grpc')) return 'grpc';
  return 'connect';
}

export function connectEdge(options: ConnectEdgeOptions): ConnectEdge {
  const services = options.services.map((service) => serviceNameOf(service.definition));
  const prefixes = services.map((name) => `/${name}/`);
  const shutdown = new AbortController();
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const adapter = createServiceAdapter(options.services, options);
  const router = createConnectRouter({
    // Native gRPC needs HTTP/2 and is served on the gRPC port; here the HTTP/1.1 protocols only.
    grpc: false,
    readMaxBytes: maxMessageBytes,
    shutdownSignal: shutdown.signal,
    acceptCompression: [compressionGzip, compressionBrotli],
    // A misspelt field would otherwise be dropped in silence (a like counted without its user).
    // Field names are the JSON names (userId): the stubs carry no other.
    jsonOptions: { ignoreUnknownFields: false },
  });
  adapter.register(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));
  const corsOrigins = options.corsOrigins ?? new Set<string>();
  /** Whether a call may go on to its message: the service token, when one is set, as the gRPC server checks it. */
  const authenticated = (req: IncomingMessage, path: string): boolean => {
    if (!options.serviceToken || isExemptFromServiceToken(path)) return true;
    const metadata = new grpc.Metadata();
    const values = req.headersDistinct.authorization ?? [];
    for (const value of values) metadata.add('authorization', value);
    return presentsToken(metadata, options.serviceToken);
  };
  /** A method the service does not have, answered as Connect does (unimplemented is HTTP 404). */
  const noSuchMethod = (path: string, res: ServerResponse) => {
    const service = path.split('/')[1] ?? '';
    const methods = [...handlers.keys()].filter((known) => known.startsWith(`/${service}/`)).map((known) => known.split('/')[2]);
    const body = JSON.stringify({ code: 'unimplemented', message: `${service} has no method '${path.split('/').slice(2).join('/').slice(0, 100)}' (it has ${methods.join(', ')})` });
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  return {
    services,
    handle(req, res, next) {
      // Every REST request passes here first: test the raw URL (the prefixes end in '/' and hold
      // no '?'), and cut the query off only for an RPC path.
      const url = req.url ?? '';
      if (!prefixes.some((prefix) => url.startsWith(prefix))) {
        next();
        return;
      }
      const path = url.split('?')[0]!;
      if (applyCors(corsOrigins, req, res)) return;
      const record = createCallRecord({
        method: path.slice(0, 200),
        requestId: requestIdFrom(req.headers[REQUEST_ID_HEADER]),
        peer: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`,
        client: req.socket.remoteAddress ?? '',
        protocol: protocolOf(req),
        logger: options.logger,
        metrics: options.metrics,
      });
      // Refused before a handler ran (no such method, a wrong content type, an unreadable body): the response says how.
      const settle = () => {
        if (record.finished) return;
        const grpcStatus = res.getHeader('grpc-status');
        const code = res.writableFinished ? codeOfResponse(res.statusCode, grpcStatus === undefined ? undefined : String(grpcStatus), codeName) : 'CANCELLED';
        record.finish(code, { http_status: res.statusCode });
      };
      res.once('close', settle);
      const handler = handlers.get(path);
      if (!handler) {
        noSuchMethod(path, res);
        return;
      }
      const request = universalRequestFromNodeRequest(req, res, undefined, createContextValues().set(CALL_RECORD, record));
      const format = bodyFormatOf(req.headers['content-type']);
      // A compressed unary body is inflated here (bounded) so its message is checked as sent; an
      // encoding we do not inflate is left to connect-es, which refuses it.
      const encoding = format && !format.enveloped ? (req.headers['content-encoding'] ?? 'identity') : 'identity';
      const inflate = INFLATE.get(encoding);
      const check = adapter.wireCheck(path);
      if (format && check && request.body !== null && typeof request.body === 'object' && Symbol.asyncIterator in request.body) {
        // A refused message is replaced by a shorter one: the length the client promised no longer holds.
        if (!format.enveloped) request.header.delete('content-length');
        // Without the token the call is refused (by the adapter, in the call's protocol) without reading the body, as gRPC does.
        const allowed = authenticated(req, path);
        const guarded = encoding === 'identity' || inflate !== undefined;
        if (!allowed) request.body = emptyBody(format);
        else if (guarded) request.body = guardBody(request.body as AsyncIterable<Uint8Array>, { format, maxMessageBytes, check, inflate, onRefusal: (error) => (record.refusal = error) });
        // What connect-es reads now is plain, whatever the client sent.
        if (!allowed || guarded) request.header.delete('content-encoding');
      }
      handler(request)
        .then((response) => universalResponseToNodeResponse(response, res))
        .catch((err: unknown) => {
          // The client went away mid-answer; anything else is logged here rather than by connect-node on the console.
          if (ConnectError.from(err).code !== Code.Aborted) options.logger.warn('call: could not send the answer', { method: path, request_id: record.requestId, error: err instanceof Error ? err.message : String(err) });
          if (!res.headersSent) res.destroy();
        });
    },
    close() {
      shutdown.abort(new ConnectError(SHUTDOWN_DETAILS, Code.Unavailable));
    },
  };
}
