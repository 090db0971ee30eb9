/**
 * Helpers for the bad-input and fuzz tests: what a leaked stack trace looks like, a snapshot
 * of everything both services store (through their APIs and straight from their SQLite
 * files), and gRPC clients that send typed requests or raw bytes.
 */
import * as grpc from '@grpc/grpc-js';
import path from 'node:path';
import sqlite3 from 'sqlite3';

import { proto } from '../../services/stubs/index.js';
import { http, type RunningSystem } from './system.js';

/** Signs of a stack trace or a source path in a response body. */
export const LEAK_PATTERNS = [/\n\s+at /, /\bat .+:\d+:\d+/, /\.[cm]?[jt]sx?:\d+/, /node_modules/];

export function leakIn(text: string): RegExp | undefined {
  return LEAK_PATTERNS.find((pattern) => pattern.test(text));
}

function countRows(file: string, tables: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      const counts: Record<string, number> = {};
      const next = (i: number) => {
        if (i === tables.length) return db.close(() => resolve(counts));
        db.get(`SELECT COUNT(*) AS n FROM ${tables[i]}`, (e: Error | null, row: { n: number }) => {
          if (e) return db.close(() => reject(e));
          counts[tables[i]] = row.n;
          next(i + 1);
        });
      };
      next(0);
    });
  });
}

export interface Snapshot {
  dashboardProducts: unknown[];
  productCopies: unknown[];
  rows: Record<string, number>;
}

/** Both services' product lists (every field, incl. likes and updated_at) and row counts. */
export async function snapshot(sys: RunningSystem): Promise<Snapshot> {
  const [dashboard, copies] = await Promise.all([http('GET', `${sys.dashboardUrl}/api/products`), http('GET', `${sys.productUrl}/api/products`)]);
  if (dashboard.status !== 200 || copies.status !== 200) throw new Error(`cannot list products: ${dashboard.status} ${copies.status}`);
  const [d, p] = await Promise.all([
    countRows(path.join(sys.dataDir, 'dashboard.sqlite3'), ['products', 'users']),
    countRows(path.join(sys.dataDir, 'product.sqlite3'), ['products', 'product_users']),
  ]);
  return {
    dashboardProducts: dashboard.body,
    productCopies: copies.body,
    rows: { 'dashboard.products': d.products, 'dashboard.users': d.users, 'product.products': p.products, 'product.product_users': p.product_users },
  };
}

export interface GrpcOutcome {
  code: grpc.status;
  details: string;
  response?: any;
}

/** Settles a unary call into its status, never rejecting. */
function settle(resolve: (o: GrpcOutcome) => void) {
  return (err: grpc.ServiceError | null, response?: unknown) =>
    resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', response });
}

export type TypedClients = {
  dashboard: { products: grpc.Client; users: grpc.Client };
  product: { receiver: grpc.Client };
  close(): void;
};

/** Stub clients of both gRPC servers (the generated constructors, plain grpc-js). */
export function typedClients(sys: RunningSystem): TypedClients {
  const insecure = grpc.credentials.createInsecure();
  const products = new proto.product.ProductService(sys.dashboardGrpc, insecure);
  const users = new proto.user.UserService(sys.dashboardGrpc, insecure);
  const receiver = new proto.product_receiver.ProductReceiverService(sys.productGrpc, insecure);
  return {
    dashboard: { products, users },
    product: { receiver },
    close() {
      for (const c of [products, users, receiver]) c.close();
    },
  };
}

/** One typed unary call on a stub client, e.g. call(clients.product.receiver, 'Delete', { productId }). */
export function call(client: grpc.Client, method: string, request: object, deadlineMs = 5000): Promise<GrpcOutcome> {
  return new Promise((resolve) => {
    (client as unknown as Record<string, Function>)[method](request, { deadline: Date.now() + deadlineMs }, settle(resolve));
  });
}

const identity = (bytes: Buffer) => bytes;

/** Every method of both gRPC servers, by server and full path. */
export function grpcMethods(sys: RunningSystem): { target: string; path: string }[] {
  const dashboard = [proto.product.ProductService.service, proto.user.UserService.service];
  const product = [proto.product_receiver.ProductReceiverService.service];
  const paths = (defs: grpc.ServiceDefinition[]) => defs.flatMap((def) => Object.values(def).map((m) => m.path));
  return [
    ...paths(dashboard).map((p) => ({ target: sys.dashboardGrpc, path: p })),
    ...paths(product).map((p) => ({ target: sys.productGrpc, path: p })),
  ];
}

/** The server-streaming methods of protos/ (WatchProducts): a raw call reads only their first message. */
const STREAMING = new Set(
  [proto.product.ProductService.service, proto.user.UserService.service, proto.product_receiver.ProductReceiverService.service].flatMap((def) =>
    Object.values(def).filter((m) => m.responseStream).map((m) => m.path),
  ),
);

/**
 * Sends raw bytes as the request of `path` and settles with the status (the response stays
 * bytes). A server stream, which need not end, settles OK with its first message (then is
 * cancelled), or with its status if that comes first.
 */
export function rawCall(client: grpc.Client, methodPath: string, bytes: Buffer, deadlineMs = 5000): Promise<GrpcOutcome> {
  return new Promise((resolve) => {
    if (!STREAMING.has(methodPath)) {
      client.makeUnaryRequest(methodPath, identity, identity, bytes, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, settle(resolve));
      return;
    }
    const stream = client.makeServerStreamRequest(methodPath, identity, identity, bytes, new grpc.Metadata(), { deadline: Date.now() + deadlineMs });
    let settled = false;
    stream.on('data', (response: Buffer) => {
      if (settled) return;
      settled = true;
      resolve({ code: grpc.status.OK, details: '', response });
      stream.cancel();
    });
    stream.on('error', () => {});
    stream.on('status', (status: grpc.StatusObject) => {
      if (settled) return;
      settled = true;
      resolve({ code: status.code, details: status.details });
    });
  });
}

/** A bare client for raw calls, with room for requests over the server's limit. */
export function rawClient(target: string): grpc.Client {
  return new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
}
