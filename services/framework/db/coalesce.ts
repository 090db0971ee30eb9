/**
 * `coalesce(run)`: calls that arrive while a previous `run` is in progress are collected and
 * handed to the next `run` together (up to `maxBatch`). A lone call runs at once, so it
 * costs no latency when idle; under load, N concurrent calls become one round of work.
 * This is how concurrent likes of a product become one `likes = likes + N` statement.
 *
 * Under load an idle queue waits for the rest of the event loop's turn: when the last batch
 * held more than one call, calls are arriving together, and the calls read from the sockets
 * in the same turn as the first (HTTP/2 frames of many streams come in one read) would
 * otherwise wait for a whole round behind it. The next batch then starts at the end of the
 * turn (`setImmediate`) with all of them. A lone caller (the last batch held one call) starts
 * at once, with no hop added, so a quiet service answers as soon as it did.
 *
 * `.many(items)` queues several calls at once, so they go in the same batch (split only at
 * maxBatch, with whatever was already waiting): a caller that already holds a batch, such as
 * a batch RPC, does not have its first item run alone. `.enqueue(item, resolve, reject)`
 * queues a call that is answered through its callbacks, with no promise made for it (the
 * gRPC server's direct answers, grpc/define-service.ts).
 *
 * `maxCallers` caps the separate callers a batch answers (a `.many` counts as one, its items
 * all in): the first callers' answers then go out while the next batch is written, so callers
 * that send again when answered (a client's pool of requests in flight) overlap with the
 * statement instead of taking turns with it. One batch of sixteen callers answers all of them
 * only when the whole batch is done; two of eight answer half of them a statement earlier.
 *
 * @example
 *   const likeOne = coalesce((ids: string[]) => likeAll(ids));   // likeAll returns one result per id, in order
 *   const product = await likeOne(id);
 *   const products = await likeOne.many([id1, id2]);
 */
export interface CoalesceOptions {
  /** The most items in one batch (default 256). */
  maxBatch?: number;
  /** The most separate callers in one batch (default: no cap); a `.many` is one caller. */
  maxCallers?: number;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
  /** The item is a caller's first (a lone call, or the first of a `.many`): it counts against maxCallers. */
  first: boolean;
}

export interface Coalesced<I, O> {
  (item: I): Promise<O>;
  /** Queues the items together (batched with what is waiting, split at maxBatch); one result per item, in order. */
  many(items: readonly I[]): Promise<O[]>;
  /** Queues one call whose result goes to `resolve` (or its batch's error to `reject`), once; neither may throw. */
  enqueue(item: I, resolve: (value: O) => void, reject: (err: unknown) => void): void;
}

export function coalesce<I, O>(run: (items: I[]) => Promise<O[]>, options: CoalesceOptions = {}): Coalesced<I, O> {
  const maxBatch = options.maxBatch ?? 256;
  const maxCallers = options.maxCallers ?? Infinity;
  /** How many of the waiting items the next batch takes: up to maxBatch items and maxCallers callers. */
  const nextBatchSize = (): number => {
    if (maxCallers === Infinity) return Math.min(maxBatch, waiting.length);
    let n = 0;
    let callers = 0;
    for (; n < waiting.length && n < maxBatch; n++) if (waiting[n].first && ++callers > maxCallers) break;
    return n;
  };
  const waiting: Pending<I, O>[] = [];
  let running = false;
  let lastBatchSize = 0;

  // A chain of `then`s rather than an async loop: one promise per batch besides run's own (on
  // Node 20 every promise runs AsyncLocalStorage's hooks, and a batch of one call is common).
  const drain = (): void => {
    if (waiting.length === 0) {
      running = false;
      return;
    }
    running = true;
    const batch = waiting.splice(0, nextBatchSize());
    lastBatchSize = batch.length;
    let results: Promise<O[]>;
    try {
      results = run(batch.map((p) => p.item));
    } catch (err) {
      results = Promise.reject(err);
    }
    results.then(
      (values) => {
        // Checked here, not thrown: a throw would leave the batch unsettled and the queue stopped.
        if (Array.isArray(values) && values.length === batch.length) settle(batch, (p, i) => p.resolve(values[i]));
        else {
          const err = new Error(`coalesce: run returned ${Array.isArray(values) ? values.length : 'no array of'} results for ${batch.length} items`);
          settle(batch, (p) => p.reject(err));
        }
      },
      (err: unknown) => settle(batch, (p) => p.reject(err)),
    );
  };

  /**
   * Starts the next batch, then settles this one's calls: the next statement is on its way
   * while the answers are written (an enqueued caller's callback answers at once, a promise's
   * continuation a moment later). A callback that throws (a bug: enqueue's may not) leaves no
   * other caller unanswered; the first such error is thrown afterwards, where it is not lost.
   */
  const settle = (batch: Pending<I, O>[], each: (p: Pending<I, O>, i: number) => void): void => {
    drain();
    let thrown: { err: unknown } | undefined;
    for (let i = 0; i < batch.length; i++) {
      try {
        each(batch[i], i);
      } catch (err) {
        thrown ??= { err };
      }
    }
    if (thrown) {
      const { err } = thrown;
      queueMicrotask(() => {
        throw err;
      });
    }
  };

  /** Starts a batch on an idle queue: at once for a lone caller, at the end of the turn under load (above). */
  const start = (): void => {
    running = true;
    if (lastBatchSize > 1) setImmediate(drain);
    else drain();
  };
  const enqueue = (item: I, resolve: (value: O) => void, reject: (err: unknown) => void): void => {
    waiting.push({ item, resolve, reject, first: true });
    if (!running) start();
  };
  const queue = (item: I, first: boolean) => new Promise<O>((resolve, reject) => waiting.push({ item, resolve, reject, first }));
  const one = (item: I) => new Promise<O>((resolve, reject) => enqueue(item, resolve, reject));
  const many = (items: readonly I[]) => {
    const results = Promise.all(items.map((item, i) => queue(item, i === 0)));
    if (!running && items.length > 0) start();
    return results;
  };
  return Object.assign(one, { many, enqueue });
}
