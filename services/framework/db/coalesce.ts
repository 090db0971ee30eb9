/**
 * `coalesce(run)`: calls that arrive while a previous `run` is in progress are collected and
 * handed to the next `run` together (up to `maxBatch`). A lone call runs at once, so it
 * costs no latency when idle; under load, N concurrent calls become one round of work.
 * This is how concurrent likes of a product become one `likes = likes + N` statement.
 *
 * @example
 *   const likeOne = coalesce((ids: string[]) => likeAll(ids));   // likeAll returns one result per id, in order
 *   const product = await likeOne(id);
 */
export interface CoalesceOptions {
  maxBatch?: number;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export function coalesce<I, O>(run: (items: I[]) => Promise<O[]>, options: CoalesceOptions = {}): (item: I) => Promise<O> {
  const maxBatch = options.maxBatch ?? 256;
  const waiting: Pending<I, O>[] = [];
  let running = false;

  const drain = async () => {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      try {
        const results = await run(batch.map((p) => p.item));
        if (results.length !== batch.length) throw new Error(`coalesce: run returned ${results.length} results for ${batch.length} items`);
        batch.forEach((p, i) => p.resolve(results[i]));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    running = false;
  };

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
