/**
 * The @bufbuild/protobuf descriptor of a gRPC service, which connect-es routes by, built
 * from the file descriptors proto-loader already attaches to every method of the generated
 * stubs (the same ones reflection serves and request-limits.ts walks). No second codegen
 * step: the stubs' JSON stays the one source, and a service scaffolded later gets its
 * Connect descriptor for free.
 *
 * @example
 *   const desc = connectServiceOf(proto.product.ProductService.service); // DescService
 */
import { create, createFileRegistry, fromBinary, toBinary, type DescService, type FileRegistry } from '@bufbuild/protobuf';
import { protoCamelCase } from '@bufbuild/protobuf/reflect';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type DescriptorProto, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import type * as grpc from '@grpc/grpc-js';

import { linkFileDescriptors } from '../grpc/linked-descriptors.js';

type LoadedMethod = { path: string; requestType?: { fileDescriptorProtos?: unknown } };

const registries = new WeakMap<object, FileRegistry>();

/**
 * protobufjs writes `json_name: ""` where protoc writes each field's JSON name, and
 * connect-es takes the descriptor's word for it: every field of a JSON message would be
 * named "". Fill in protoc's default (`user_id` -> `userId`).
 */
function fillJsonNames(messages: DescriptorProto[]): void {
  for (const message of messages) {
    for (const field of message.field) if (!field.jsonName) field.jsonName = protoCamelCase(field.name);
    fillJsonNames(message.nestedType);
  }
}

/** The files of a load, linked and ordered dependencies first (createFileRegistry resolves imports in order). */
function orderedFiles(encoded: Uint8Array[]): FileDescriptorProto[] {
  // Linked: protobufjs leaves `dependency` empty and type names relative (linked-descriptors.ts).
  const files = linkFileDescriptors(encoded).map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  for (const file of files) fillJsonNames(file.messageType);
  const byName = new Map(files.map((file) => [file.name, file]));
  const ordered: FileDescriptorProto[] = [];
  const added = new Set<string>();
  const add = (file: FileDescriptorProto | undefined) => {
    if (!file || added.has(file.name)) return;
    added.add(file.name);
    for (const dependency of file.dependency) add(byName.get(dependency));
    ordered.push(file);
  };
  files.forEach(add);
  return ordered;
}

/** One registry per list of files (proto-loader shares the list between all methods of a load). */
function registryOf(encoded: Uint8Array[]): FileRegistry {
  const cached = registries.get(encoded);
  if (cached) return cached;
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: orderedFiles(encoded) }));
  registries.set(encoded, registry);
  return registry;
}

function filesOf(definition: grpc.ServiceDefinition): Uint8Array[] | undefined {
  const files = (Object.values(definition)[0] as LoadedMethod | undefined)?.requestType?.fileDescriptorProtos;
  return Array.isArray(files) ? (files as Uint8Array[]) : undefined;
}

/**
 * The encoded FileDescriptorSet of a definition's files: what a browser bundle embeds to
 * build the same DescService with createFileRegistry (examples/browser/build.ts).
 */
export function fileDescriptorSetOf(definition: grpc.ServiceDefinition): Uint8Array {
  const files = filesOf(definition);
  if (!files) throw new Error('Connect: this service definition carries no file descriptors; load it with @grpc/proto-loader (the generated stubs do)');
  return toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: orderedFiles(files) }));
}

/** The DescService of a loaded gRPC service definition; throws with the fix when it has no descriptors. */
export function connectServiceOf(definition: grpc.ServiceDefinition): DescService {
  const first = Object.values(definition)[0] as LoadedMethod | undefined;
  const files = filesOf(definition);
  if (!first || !files) {
    throw new Error('Connect: this service definition carries no file descriptors; load it with @grpc/proto-loader (the generated stubs do)');
  }
  const name = first.path.slice(1).split('/')[0]!;
  const service = registryOf(files).getService(name);
  if (!service) throw new Error(`Connect: no descriptor for ${name} among the definition's files`);
  return service;
}
