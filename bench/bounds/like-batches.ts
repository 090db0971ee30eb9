/**
 * The part the LikeProduct bounds that batch share (grpc-like-batched.ts, grpc-like-one-trip.ts,
 * layer-one-trip-server.ts): calls that arrive while a batch is being written wait and go in
 * the next batch (a lone call is written at once; under load, when the last batch held more
 * than one call, an idle batcher starts the next batch at the end of the event loop's turn, as
 * the framework's `coalesce` does), each product's likes are counted once per batch, and every
 * caller is told the count its own like made, as if the batch had been applied one like at a
 * time. How a batch reaches the database is each bound's own `write`.
 */
import * as grpc from '@grpc/grpc-js';

import { serveGrpc } from '../bare/serve.js';
import { productServiceClient, type ProductRow } from '../product-proto.js';

/** Adds `n` likes to each product of `counts`; the rows after, for the products that exist. */
export type WriteLikes = (counts: ReadonlyMap<string, number>, now: string) => Promise<Map<string, ProductRow>>;

/** A LikeProduct answer, as the proto's LikeProductResponse. */
export interface LikeAnswer {
  product: { id: string; title: string; image: string; likes: string };
}

/** Told once per like: its answer, or the status it failed with. */
export type LikeDone = (error: { code: grpc.status; details: string } | null, answer?: LikeAnswer) => void;

interface Call {
  id: string;
  done: LikeDone;
}

/** The most calls written together (so the most likes of one product one statement adds). */
export const MAX_BATCH = 256;

/** A batch's likes of one product: prepared once by each bound, as the bare server prepares its own. */
export const ADD_LIKES = 'UPDATE products SET likes = likes + ?, updated_at = ? WHERE id = ? RETURNING *';

/** Likes in batches written by `write`: `like(id, done)` queues one and tells `done` its outcome. */
export function likeBatcher(write: WriteLikes): (id: string, done: LikeDone) => void {
  const likeAll = async (calls: readonly Call[]): Promise<void> => {
    const counts = new Map<string, number>();
    for (const { id } of calls) counts.set(id, (counts.get(id) ?? 0) + 1);
    const rows = await write(counts, new Date().toISOString());
    const given = new Map<string, number>();
    for (const { id, done } of calls) {
      const row = rows.get(id);
      if (!row) {
        done({ code: grpc.status.NOT_FOUND, details: `product ${id} not found` });
        continue;
      }
      const k = (given.get(id) ?? 0) + 1;
      given.set(id, k);
      done(null, { product: { id: row.id, title: row.title, image: row.image ?? '', likes: String(Number(row.likes) - counts.get(id)! + k) } });
    }
  };

  const waiting: Call[] = [];
  let writing = false;
  let lastBatchSize = 0;
  const drain = async (): Promise<void> => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, MAX_BATCH);
      lastBatchSize = batch.length;
      await likeAll(batch).catch((err: Error) => {
        for (const { done } of batch) done({ code: grpc.status.INTERNAL, details: err.message });
      });
    }
    writing = false;
  };
  return (id, done) => {
    waiting.push({ id, done });
    if (writing) return;
    writing = true;
    if (lastBatchSize > 1) setImmediate(() => void drain());
    else void drain();
  };
}

/** Serves LikeProduct on a bare grpc-js server with `write` doing each batch's database work; `close` when stopped. */
export async function serveBatchedLikes(write: WriteLikes, close: () => Promise<void>): Promise<void> {
  const like = likeBatcher(write);
  const server = new grpc.Server();
  server.addService(productServiceClient().service, {
    LikeProduct(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      like(call.request.id, callback);
    },
  });
  await serveGrpc(server, close);
}
