/**
 * A WatchProducts client for tests, on raw grpc-js (no mgrpc client in between): it keeps
 * every message, the products as the stream says they are, and the last resume point.
 *
 * @example
 *   const w = watchProducts('127.0.0.1:10009');
 *   await w.ready();                       // the snapshot is in
 *   await w.until((w) => w.state.get(id)?.likes === '3');
 *   w.cancel();
 */
import * as grpc from '@grpc/grpc-js';

import { proto } from '../../services/stubs/index.js';
import type { ProductChange__Output } from '../../services/stubs/product/ProductChange.js';
import { waitUntil } from './wait.js';

export interface Watcher {
  messages: ProductChange__Output[];
  /** id -> product, as the stream has told so far (snapshot, then live changes). */
  state: Map<string, Record<string, unknown>>;
  /** The seq to resume from: the last `ready` or live change received. */
  lastSeq: string;
  /** The live changes' seqs, in arrival order. */
  liveSeqs: number[];
  /** Set when the stream ends. */
  status?: grpc.StatusObject;
  call: grpc.ClientReadableStream<ProductChange__Output>;
  ready(): Promise<ProductChange__Output>;
  until(what: string, holds: (w: Watcher) => boolean, patienceMs?: number): Promise<void>;
  ended(): Promise<grpc.StatusObject>;
  cancel(): void;
  close(): void;
}

export function productClient(target: string): grpc.Client & Record<string, any> {
  return new proto.product.ProductService(target, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, any>;
}

/** Opens WatchProducts on `target` (a fresh snapshot, or resuming after `afterSeq`). */
export function watchProducts(target: string, afterSeq = '0', client = productClient(target)): Watcher {
  const call = client.WatchProducts({ afterSeq }) as grpc.ClientReadableStream<ProductChange__Output>;
  const pending = new Map<string, Record<string, unknown>>();
  let statusResolve: (status: grpc.StatusObject) => void;
  const ended = new Promise<grpc.StatusObject>((resolve) => (statusResolve = resolve));
  const watcher: Watcher = {
    messages: [],
    state: new Map(),
    lastSeq: afterSeq,
    liveSeqs: [],
    call,
    ready: () => waitUntil('the watch stream to be ready', () => watcher.messages.find((m) => m.event === 'ready')),
    until: (what, holds, patienceMs = 10_000) => waitUntil(what, () => holds(watcher) || watcher.status !== undefined, patienceMs).then(() => {
      if (!holds(watcher)) throw new Error(`the watch stream ended (${watcher.status?.code} ${watcher.status?.details}) before ${what}`);
    }),
    ended: () => ended,
    cancel: () => call.cancel(),
    close: () => client.close(),
  };
  call.on('data', (message: ProductChange__Output) => {
    watcher.messages.push(message);
    switch (message.event) {
      case 'snapshot':
        pending.set(message.snapshot!.id, { ...message.snapshot });
        return;
      case 'ready':
        if (message.ready!.snapshot) {
          watcher.state = new Map(pending);
          pending.clear();
        }
        break;
      case 'created':
      case 'updated':
        watcher.state.set(message[message.event]!.id, { ...message[message.event] });
        watcher.liveSeqs.push(Number(message.seq));
        break;
      case 'deleted':
        watcher.state.delete(message.deleted!.id);
        watcher.liveSeqs.push(Number(message.seq));
        break;
    }
    watcher.lastSeq = message.seq;
  });
  call.on('error', () => {}); // the status says it
  call.on('status', (status) => {
    watcher.status = status;
    statusResolve(status);
  });
  return watcher;
}
