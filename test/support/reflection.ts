/**
 * A plain grpc.reflection.v1 client for tests, written against the reflection proto shipped
 * with @grpc/reflection (the protocol grpcurl, Postman and evans speak), independent of the
 * CLI's own reflection client.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import descriptorExt from 'protobufjs/ext/descriptor/index.js';

const require = createRequire(import.meta.url);
const REFLECTION_PROTO = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');

export interface ReflectionResponse {
  error_response?: { error_code: number; error_message: string } | null;
  list_services_response?: { service: { name: string }[] } | null;
  file_descriptor_response?: { file_descriptor_proto: Buffer[] } | null;
}

/** One ServerReflectionInfo stream: writes each request after the previous answer, ends, returns the answers. */
export async function reflect(address: string, requests: object[]): Promise<ReflectionResponse[]> {
  const definition = protoLoader.loadSync(REFLECTION_PROTO, { keepCase: true, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const client = new loaded.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure()) as grpc.Client;
  try {
    return await new Promise((resolve, reject) => {
      const call = (client as any).ServerReflectionInfo({ deadline: Date.now() + 10_000 }) as grpc.ClientDuplexStream<object, ReflectionResponse>;
      const answers: ReflectionResponse[] = [];
      const next = () => (answers.length < requests.length ? call.write(requests[answers.length]) : call.end());
      call.on('data', (answer: ReflectionResponse) => {
        answers.push(answer);
        next();
      });
      call.on('error', reject);
      call.on('end', () => resolve(answers));
      next();
    });
  } finally {
    client.close();
  }
}

export type FileDescriptor = { name: string; package: string; dependency: string[]; messageType: { name: string; field: { name: string; number: number }[] }[]; service: { name: string; method: { name: string }[] }[] };

export const decodeFiles = (answer: ReflectionResponse): FileDescriptor[] =>
  (answer.file_descriptor_response?.file_descriptor_proto ?? []).map((bytes) => (descriptorExt as any).FileDescriptorProto.decode(bytes) as FileDescriptor);

