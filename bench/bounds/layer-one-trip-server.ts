/**
 * The framework's per-call layer (framework-layer.ts) around the least database work a like
 * with our guarantees takes: the one-trip bound's batches (like-batches.ts), each one
 * autocommit `UPDATE … RETURNING` whose trigger writes a change-log row per like
 * (one-trip-writes.ts), as ours does it on SQLite. What separates ours from it is our like's
 * own machinery (coalesce and applyOnceBatched, the write queue's turn, the serializer, and a
 * log message with every field the serializer shows: this side writes four); what separates
 * it from the bare one-trip bound is the layer around a call that waits for its batch.
 *   BENCH_DB=/tmp/x/bare-one-trip.sqlite3 BENCH_PORT=0 node dist/bench/bounds/layer-one-trip-server.js   # prints {"port": N}
 */
import * as grpc from '@grpc/grpc-js';

import { AppError } from '../../services/framework/index.js';
import { openBareDbAt } from '../bare/open.js';
import { serveOnFrameworkLayer } from './framework-layer.js';
import { likeBatcher, type LikeAnswer } from './like-batches.js';
import { oneTripWrites } from './one-trip-writes.js';

const db = await openBareDbAt(process.env.BENCH_DB!);
const like = likeBatcher(await oneTripWrites(db, process.env.BENCH_DB!));
await serveOnFrameworkLayer(
  (id) =>
    new Promise<LikeAnswer>((resolve, reject) =>
      like(id, (error, answer) => {
        if (!error) resolve(answer!);
        else reject(error.code === grpc.status.NOT_FOUND ? AppError.notFound(error.details) : new Error(error.details));
      }),
    ),
  () => db.close(),
);
