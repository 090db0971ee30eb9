/**
 * `mgrpc call` as a function: resolves the method against the stubs' embedded descriptor (or,
 * with `reflect`, the server's reflection service), sends the JSON request to the method's
 * server and answers the response as proto3 JSON. A server-streaming method hands each
 * message to `onMessage` as it arrives instead (`mgrpc call` prints one JSON line each).
 * A refused call rejects with a CallFailure, bad input with a UsageError.
 *
 * @example
 *   const json = await callMethod('ProductService/ListProducts', { data: '{}', deadline: 5000 });
 */
import { grpcClientSecurity } from '../../services/framework/index.js';
import type { Resolved } from '../context/resolve.js';
import { UsageError } from '../handle-error.js';
import { defaultAddress } from './default-address.js';
import { buildMetadata, callFailure, invokeServerStream, invokeUnary } from './invoke.js';
import { decodeToJson, encodeJson } from './json-message.js';
import { localCatalog } from './local-catalog.js';
import { readRequestJson } from './options.js';

export interface CallMethodOptions {
  /** The request: JSON, @FILE or - for stdin. */
  data: string;
  /** host:port; default: the server of the method's service. */
  addr?: string;
  metadata?: [string, string][];
  /** Milliseconds; default 10 s for a unary call, none for a stream. */
  deadline?: number;
  reflect?: boolean;
  /** Server streams: each message as JSON (required to call one). */
  onMessage?: (message: unknown) => void;
  /** Server streams: stop after this many messages. */
  maxMessages?: number;
}

const UNARY_DEADLINE_MS = 10_000;

const serviceOf = (method: { service: { fullName: string } }) => method.service.fullName.replace(/^\./, '');

export async function callMethod(spec: string, options: CallMethodOptions): Promise<unknown> {
  const security = grpcClientSecurity(process.env);
  const metadata = options.metadata ?? [];
  let catalog = await localCatalog();
  let address: Resolved | undefined = options.addr ? { value: options.addr, from: '--addr' } : undefined;
  if (options.reflect) {
    // The local protos still tell which server a method they know lives on.
    address ??= await defaultAddress(serviceOf(catalog.method(spec)));
    const { catalogFromServer } = await import('./reflection-client.js');
    const target = address;
    catalog = await catalogFromServer({ address: target.value, credentials: security.credentials, metadata: buildMetadata(metadata), deadlineMs: options.deadline ?? UNARY_DEADLINE_MS }).catch(
      (err: unknown) => {
        throw callFailure(err, target.value, 'server reflection failed: ', target.from);
      },
    );
  }
  const method = catalog.method(spec);
  if (method.method.requestStream) {
    throw new UsageError(`${method.path} streams requests from the client; mgrpc call supports unary and server-streaming methods`);
  }
  address ??= await defaultAddress(serviceOf(method));
  const request = encodeJson(method.requestType, await readRequestJson(options.data));
  const target = address;
  // What both kinds of call send; a failure names the address and where it came from.
  const call = { address: target.value, path: method.path, request, credentials: security.credentials, metadata, serviceToken: security.serviceToken };
  const failed = (err: unknown): never => {
    throw callFailure(err, target.value, '', target.from);
  };
  if (method.method.responseStream) {
    const onMessage = options.onMessage;
    if (!onMessage) throw new UsageError(`${method.path} is a server-streaming method: give callMethod an onMessage`);
    await invokeServerStream({
      ...call,
      deadlineMs: options.deadline,
      maxMessages: options.maxMessages,
      onMessage: (bytes) => onMessage(decodeToJson(method.responseType, bytes)),
    }).catch(failed);
    return undefined;
  }
  const response = await invokeUnary({ ...call, deadlineMs: options.deadline ?? UNARY_DEADLINE_MS }).catch(failed);
  return decodeToJson(method.responseType, response);
}
