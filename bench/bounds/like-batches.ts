/**
 * The part the LikeProduct bounds that batch share (grpc-like-batched.ts, grpc-like-one-trip.ts):
 * calls that arrive while a batch is being written wait and go in the next batch (a lone call
 * is written at once), each product's likes are counted once per batch, and every caller is
 * told the count its own like made, as if the batch had been applied one like at a time. How
 * a batch reaches the database is each bound's own `write`.
 */
import * as grpc from '@grpc/grpc-js';

import { serveGrpc } from '../bare/serve.js';
import { productServiceClient, type ProductRow } from '../product-proto.js';

/** Adds `n` likes to each product of `counts`; the rows after, for the products that exist. */
export type WriteLikes = (counts: ReadonlyMap<string, number>, now: string) => Promise<Map<string, ProductRow>>;

interface Call {
  id: string;
  callback: grpc.sendUnaryData<unknown>;
}

/** The most calls written together (so the most likes of one product one statement adds). */
export const MAX_BATCH = 256;

/** A batch's likes of one product: prepared once by each bound, as the bare server prepares its own. */
export const ADD_LIKES = 'UPDATE products SET likes = likes + ?, updated_at = ? WHERE id = ? RETURNING *';

/** Serves LikeProduct with `write` doing each batch's database work; `close` when stopped. */
export async function serveBatchedLikes(write: WriteLikes, close: () => Promise<void>): Promise<void> {
  const likeAll = async (calls: readonly Call[]): Promise<void> => {
    const counts = new Map<string, number>();
    for (const { id } of calls) counts.set(id, (counts.get(id) ?? 0) + 1);
    const rows = await write(counts, new Date().toISOString());
    const given = new Map<string, number>();
    for (const { id, callback } of calls) {
      const row = rows.get(id);
      if (!row) {
        callback({ code: grpc.status.NOT_FOUND, details: `product ${id} not found` });
        continue;
      }
      const k = (given.get(id) ?? 0) + 1;
      given.set(id, k);
      callback(null, { product: { id: row.id, title: row.title, image: row.image ?? '', likes: String(Number(row.likes) - counts.get(id)! + k) } });
    }
  };

  const waiting: Call[] = [];
  let writing = false;
  const drain = async (): Promise<void> => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, MAX_BATCH);
      await likeAll(batch).catch((err: Error) => {
        for (const { callback } of batch) callback({ code: grpc.status.INTERNAL, details: err.message });
      });
    }
    writing = false;
  };

  const server = new grpc.Server();
  server.addService(productServiceClient().service, {
    LikeProduct(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      waiting.push({ id: call.request.id, callback });
      if (!writing) void drain();
    },
  });
  await serveGrpc(server, close);
}
