/**
 * The watch fan-out load, run by the bench as its own node process (`fork`): opens
 * `watchers` WatchProducts streams (50 per connection), tells the parent they are all open,
 * then, on `go`, likes one product `changes` times, one at a time at `ratePerSecond`, and
 * times each like from the moment its call was sent to the moment each watcher receives it
 * (an upper bound on commit -> delivery, one clock). Reports a `FanoutLoadResult` over IPC.
 */
import * as grpc from '@grpc/grpc-js';

import { proto } from '../../services/stubs/index.js';
import type { ProductChange__Output } from '../../services/stubs/product/ProductChange.js';
import { summarize, type LatencySummary } from '../stats.js';

export interface FanoutLoadSpec {
  target: string;
  productId: string;
  watchers: number;
  changes: number;
  ratePerSecond: number;
}

export interface FanoutLoadResult {
  delivered: number;
  expected: number;
  /** Send of the like -> receipt by a watcher, every (like, watcher) pair, ms. */
  delay: LatencySummary;
  /** The like calls themselves, ms. */
  like: LatencySummary;
}

export type FanoutMessage = { type: 'open' } | { type: 'result'; result: FanoutLoadResult } | { type: 'error'; message: string };

const PER_CONNECTION = 50;

async function run(spec: FanoutLoadSpec, waitForGo: () => Promise<void>, send: (message: FanoutMessage) => void): Promise<void> {
  const connections = Array.from({ length: Math.ceil(spec.watchers / PER_CONNECTION) }, () =>
    // A subchannel pool of its own: a connection per client, as separate watchers would have.
    new proto.product.ProductService(spec.target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
  );
  const liker = new proto.product.ProductService(spec.target, grpc.credentials.createInsecure());
  const like = () =>
    new Promise<number>((resolve, reject) =>
      liker.LikeProduct({ id: spec.productId }, (err, response) => (err ? reject(err) : resolve(Number(response!.product!.likes)))),
    );
  const sentAt = new Map<number, number>();
  const delays: number[] = [];
  let target = Number.POSITIVE_INFINITY;
  let reached = 0;
  let allReached: () => void = () => {};
  let opened = 0;
  let allOpen: () => void = () => {};
  const open = new Promise<void>((resolve) => (allOpen = resolve));
  const calls: grpc.ClientReadableStream<ProductChange__Output>[] = [];
  for (let i = 0; i < spec.watchers; i++) {
    const call = connections[Math.floor(i / PER_CONNECTION)]!.WatchProducts({});
    calls.push(call);
    let done = false;
    call.on('data', (message: ProductChange__Output) => {
      if (message.event === 'ready') {
        if (++opened === spec.watchers) allOpen();
        return;
      }
      if (message.event !== 'updated') return;
      const likes = Number(message.updated!.likes);
      const sent = sentAt.get(likes);
      if (sent !== undefined) delays.push(performance.now() - sent);
      if (!done && likes >= target) {
        done = true;
        if (++reached === spec.watchers) allReached();
      }
    });
    call.on('error', () => {});
  }
  await open;
  // One like first: its count is the base, and it warms every stream.
  const base = await like();
  send({ type: 'open' });
  await waitForGo();
  const finished = new Promise<void>((resolve) => (allReached = resolve));
  target = base + spec.changes;
  const likeTimes: number[] = [];
  const gap = 1000 / spec.ratePerSecond;
  const start = performance.now();
  for (let k = 1; k <= spec.changes; k++) {
    const wait = start + (k - 1) * gap - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    sentAt.set(base + k, sent);
    await like();
    likeTimes.push(performance.now() - sent);
  }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
  await Promise.race([finished, timeout]);
  for (const call of calls) call.cancel();
  for (const client of [...connections, liker]) client.close();
  send({ type: 'result', result: { delivered: delays.length, expected: spec.watchers * spec.changes, delay: summarize(delays), like: summarize(likeTimes) } });
}

if (process.send) {
  const reply = (message: FanoutMessage) => process.send!(message);
  let go: () => void = () => {};
  const goReceived = new Promise<void>((resolve) => (go = resolve));
  process.on('message', (message: { type: string; spec?: FanoutLoadSpec }) => {
    if (message.type === 'go') go();
    if (message.type === 'start') {
      run(message.spec!, () => goReceived, reply).then(
        () => process.disconnect(),
        (err: unknown) => {
          reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
          process.disconnect();
        },
      );
    }
  });
}
