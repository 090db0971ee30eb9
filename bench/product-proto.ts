/**
 * protos/product.proto loaded the plain grpc-js way, for the bench's load clients and its bare
 * servers: they read the .proto file itself (as a hand-written server would), not our stubs.
 */
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { LOADER_OPTIONS } from '../services/framework/grpc/loader-options.js';
import { PROTO_DIR } from './paths.js';

/** The ProductService client constructor; `.service` is its definition for `server.addService`. */
export function productServiceClient(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(path.join(PROTO_DIR, 'product.proto'), { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
  return (grpc.loadPackageDefinition(definition).product as grpc.GrpcObject).ProductService as grpc.ServiceClientConstructor;
}

/** A products row as the bare servers' `UPDATE … RETURNING *` gives it. */
export interface ProductRow {
  id: string;
  title: string;
  image: string | null;
  likes: number;
}
