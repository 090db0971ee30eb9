/**
 * A grpc.reflection.v1 client for `mgrpc describe --addr` and `mgrpc call --reflect`: asks a
 * running server for its services and the file descriptors that define them, and builds the
 * same protobufjs root the local descriptor gives, so no .proto file is needed.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor/index.js';

import { Catalog } from './catalog.js';

const require = createRequire(import.meta.url);

/** The reflection proto shipped with @grpc/reflection (the one its server implements). */
export const REFLECTION_PROTO = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');

interface ReflectionResponse {
  error_response?: { error_code: number; error_message: string };
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
}

type ReflectionStream = grpc.ClientDuplexStream<object, ReflectionResponse>;

export interface ReflectionOptions {
  address: string;
  credentials: grpc.ChannelCredentials;
  metadata: grpc.Metadata;
  deadlineMs: number;
}

function openStream(options: ReflectionOptions): { stream: ReflectionStream; client: grpc.Client } {
  const definition = protoLoader.loadSync(REFLECTION_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const Reflection = loaded.grpc.reflection.v1.ServerReflection as typeof grpc.Client;
  const client = new Reflection(options.address, options.credentials);
  const stream = (client as any).ServerReflectionInfo(options.metadata, { deadline: Date.now() + options.deadlineMs }) as ReflectionStream;
  return { stream, client };
}

/** Sends each request in turn on one stream and collects the answers. */
async function ask(options: ReflectionOptions, requests: (responses: ReflectionResponse[]) => object | undefined): Promise<ReflectionResponse[]> {
  const { stream, client } = openStream(options);
  const responses: ReflectionResponse[] = [];
  try {
    return await new Promise<ReflectionResponse[]>((resolve, reject) => {
      const next = () => {
        const request = requests(responses);
        if (request) stream.write(request);
        else stream.end();
      };
      stream.on('data', (response: ReflectionResponse) => {
        if (response.error_response) {
          reject(Object.assign(new Error(response.error_response.error_message), { code: response.error_response.error_code, details: response.error_response.error_message }));
          stream.cancel();
          return;
        }
        responses.push(response);
        next();
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(responses));
      next();
    });
  } finally {
    client.close();
  }
}

/** The services a server lists through reflection and the descriptors that define them. */
export async function catalogFromServer(options: ReflectionOptions): Promise<Catalog> {
  const [listing] = await ask(options, (responses) => (responses.length === 0 ? { list_services: '*' } : undefined));
  const services = (listing?.list_services_response?.service ?? []).map((service) => service.name).filter((name) => !name.startsWith('grpc.reflection.'));
  const answers = await ask(options, (responses) => (responses.length < services.length ? { file_containing_symbol: services[responses.length] } : undefined));
  const files = new Map<string, unknown>();
  for (const answer of answers) {
    for (const bytes of answer.file_descriptor_response?.file_descriptor_proto ?? []) {
      const file = (descriptorExt as any).FileDescriptorProto.decode(bytes) as { name: string };
      if (!files.has(file.name)) files.set(file.name, file);
    }
  }
  const root = (protobuf.Root as any).fromDescriptor({ file: [...files.values()] }) as protobuf.Root;
  return new Catalog(root);
}
