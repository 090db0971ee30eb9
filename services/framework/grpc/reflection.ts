/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, from `@grpc/reflection`) on every
 * server the framework starts, so grpcurl, Postman or evans can list and call its methods
 * with no .proto file at hand:
 *
 *   grpcurl -plaintext 127.0.0.1:10009 list
 *   grpcurl -plaintext -d '{"id":"…"}' 127.0.0.1:10009 product.ProductService/LikeProduct
 *
 * The descriptors come from the served definitions themselves: proto-loader attaches the
 * encoded file descriptors of the whole package to every method's request and response type,
 * so any server built from generated stubs (ours, or a service written on the framework with
 * its own protos) reflects without extra configuration. Only the services this server
 * actually serves are listed; reflection calls need no service token (see service-token.ts).
 *
 * @example
 *   addReflectionService(server, [productDefinition, healthService()]);   // before bind
 */
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

import { serviceNameOf } from '../health/grpc-health.js';
import type { WatchStreamLimiter } from './concurrency-limits.js';
import { linkFileDescriptors } from './linked-descriptors.js';

/** Method paths of the reflection services start with this (exempt from the service token). */
export const REFLECTION_PATH_PREFIX = '/grpc.reflection.';

/** What proto-loader adds to grpc-js's MethodDefinition (not in grpc-js's type). */
type LoadedMethod = { path: string; requestType?: { fileDescriptorProtos?: unknown }; responseType?: { fileDescriptorProtos?: unknown } };

/**
 * A package definition holding only what the reflection service reads: the file descriptors
 * carried by each method's message types, linked as protoc would (see linked-descriptors.ts). Definitions built without proto-loader (no
 * descriptors) are skipped, and then simply not listed.
 */
function descriptorPackage(definitions: grpc.ServiceDefinition[]): protoLoader.PackageDefinition {
  const pkg: Record<string, unknown> = {};
  for (const definition of definitions) {
    for (const method of Object.values(definition) as LoadedMethod[]) {
      for (const [role, type] of [['request', method.requestType], ['response', method.responseType]] as const) {
        const descriptors = type?.fileDescriptorProtos;
        if (Array.isArray(descriptors)) pkg[`${method.path}#${role}`] = { fileDescriptorProtos: linkFileDescriptors(descriptors) };
      }
    }
  }
  return pkg as protoLoader.PackageDefinition;
}

/** Answers a reflection stream may have unsent before it stops reading the client's requests. */
const MAX_UNSENT_BYTES = 256 * 1024;

/**
 * Registers grpc.reflection.v1 and v1alpha on `server` (before it binds), listing `definitions`.
 * Each reflection stream is counted by `streams`, and reads the client's next request only
 * while its answers are being taken: the library answers every request as it arrives, so a
 * client that sent requests without reading the answers made the server buffer them all.
 */
export function addReflectionService(server: grpc.Server, definitions: grpc.ServiceDefinition[], streams: WatchStreamLimiter): void {
  const served = definitions.filter((definition) => Object.keys(definition).length > 0);
  // The index of the served files (every descriptor decoded, linked and visited) is built by
  // the first reflection stream, not at start-up: a server answers health sooner, and one
  // nobody reflects on never pays for it. The services' shapes come from an empty index.
  let built: Map<string, grpc.UntypedServiceImplementation> | undefined;
  const handlersOf = (key: string) => {
    if (!built) {
      const index = new Map<string, grpc.UntypedServiceImplementation>();
      new ReflectionService(descriptorPackage(served), { services: served.map(serviceNameOf) }).addToServer(collecting(index));
      built = index;
    }
    return built.get(key);
  };
  const shapes = new Map<string, grpc.UntypedServiceImplementation>();
  const definitionsOf = new Map<string, grpc.ServiceDefinition>();
  new ReflectionService({}, { services: [] }).addToServer(collecting(shapes, definitionsOf));
  for (const [key, handlers] of shapes) {
    const bounded: grpc.UntypedServiceImplementation = {};
    for (const name of Object.keys(handlers)) {
      bounded[name] = (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        if (!streams.admit(call)) return;
        const handler = handlersOf(key)?.[name] as grpc.handleBidiStreamingCall<unknown, unknown>;
        handler(call);
        // After the library's own listener, which has just written this request's answer.
        call.on('data', () => {
          if (call.writableLength > MAX_UNSENT_BYTES) call.pause();
        });
        call.on('drain', () => call.resume());
      };
    }
    server.addService(definitionsOf.get(key)!, bounded);
  }
}

/** A stand-in server that keeps what the library registers, by the services' method paths. */
function collecting(handlers: Map<string, grpc.UntypedServiceImplementation>, definitions?: Map<string, grpc.ServiceDefinition>): grpc.Server {
  return {
    addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) {
      const key = Object.values(definition).map((method) => method.path).join(' ');
      handlers.set(key, implementation);
      definitions?.set(key, definition);
    },
  } as unknown as grpc.Server;
}
