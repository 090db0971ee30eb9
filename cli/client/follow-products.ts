/**
 * Follows the dashboard's products over `product.ProductService/WatchProducts` for the CLI
 * (`mgrpc product list --watch`, `mgrpc ui`), reconnecting by itself: when the stream ends
 * (server restarted or drained, network gone), it waits (0.25 s, doubling to 5 s) and asks
 * again from the last seq it received, so no change is missed or seen twice. What it knows
 * is `products` (id -> product), replaced whole when a snapshot arrives.
 *
 * @example
 *   const follow = followProducts({ address: '127.0.0.1:10009', credentials }, {
 *     onChange: (change) => console.log(change.kind, change.product.title),
 *   });
 *   follow.stop();
 */
import * as grpc from '@grpc/grpc-js';

import { proto } from '../../services/stubs/index.js';
import type { Product__Output } from '../../services/stubs/product/Product.js';
import type { ProductChange__Output } from '../../services/stubs/product/ProductChange.js';
import type { Product } from './types.js';

/** A streamed product in the shape the REST API gives (no timestamps on the stream: empty). */
export function asClientProduct(message: Product__Output): Product {
  return { id: message.id, title: message.title, image: message.image || null, likes: Number(message.likes), created_at: '', updated_at: '' };
}

export type ProductChangeKind = 'created' | 'updated' | 'deleted';

export interface FollowEvents {
  /** A snapshot is complete: `products` is the whole current state (first one, or after an expired resume). */
  onSnapshot?(products: ReadonlyMap<string, Product__Output>, expired: boolean): void;
  onChange?(change: { kind: ProductChangeKind; product: Product__Output; seq: string }): void;
  /** The stream is caught up to `ready` (after a snapshot, or at once on a resume): live changes follow. */
  onReady?(seq: string): void;
  /** The stream ended; it is asked again after `retryMs`. */
  onDisconnect?(reason: string, retryMs: number): void;
}

export interface FollowTarget {
  address: string;
  credentials: grpc.ChannelCredentials;
  metadata?: grpc.Metadata;
}

export interface ProductFollower {
  readonly products: ReadonlyMap<string, Product__Output>;
  /** The seq the next connection resumes after ('0' until the first snapshot is complete). */
  readonly lastSeq: string;
  stop(): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

export function followProducts(target: FollowTarget, events: FollowEvents): ProductFollower {
  const client = new proto.product.ProductService(target.address, target.credentials);
  let products = new Map<string, Product__Output>();
  let lastSeq = '0';
  let stopped = false;
  let retryMs = FIRST_RETRY_MS;
  let call: grpc.ClientReadableStream<ProductChange__Output> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = () => {
    const pending = new Map<string, Product__Output>();
    const stream = client.WatchProducts({ afterSeq: lastSeq }, target.metadata ?? new grpc.Metadata());
    call = stream;
    stream.on('data', (message: ProductChange__Output) => {
      retryMs = FIRST_RETRY_MS;
      switch (message.event) {
        case 'snapshot':
          pending.set(message.snapshot!.id, message.snapshot!);
          return; // seq 0: no place to resume from
        case 'ready':
          if (message.ready!.snapshot) {
            products = new Map(pending);
            pending.clear();
            lastSeq = message.seq;
            events.onSnapshot?.(products, message.ready!.expired);
          }
          lastSeq = message.seq;
          events.onReady?.(message.seq);
          return;
        case 'created':
        case 'updated':
        case 'deleted': {
          const product = message[message.event]!;
          if (message.event === 'deleted') products.delete(product.id);
          else products.set(product.id, product);
          lastSeq = message.seq;
          events.onChange?.({ kind: message.event, product, seq: message.seq });
        }
      }
    });
    stream.on('error', () => {}); // 'status' says why
    stream.on('status', (status: grpc.StatusObject) => {
      if (stopped) return;
      const wait = retryMs;
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      events.onDisconnect?.(`${grpc.status[status.code] ?? status.code}: ${status.details}`, wait);
      timer = setTimeout(connect, wait);
    });
  };
  connect();

  return {
    get products() {
      return products;
    },
    get lastSeq() {
      return lastSeq;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      call?.cancel();
      client.close();
    },
  };
}
