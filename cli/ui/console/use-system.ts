/**
 * The running system for `mgrpc ui`. With `watch`, the product table is the dashboard's
 * WatchProducts stream itself (follow-products.ts: snapshot, then each committed change,
 * resumed from the last seq after a reconnect): a change is shown as soon as it arrives, and
 * the dashboard's product list is not read while the stream is live. Beside it, a read every
 * `intervalMs` (the next starting only after the last one finished, so a slow server never
 * piles requests up) gets the four servers' health and the product service's copies (the
 * sync column), plus the dashboard's list while the stream is down or when there is none.
 * State changes only when what is shown changes: ink redraws on state changes, and an
 * unchanged screen is not redrawn.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import { clientApi, type ServiceUrls } from '../../client/api.js';
import { asClientProduct, followProducts, type FollowTarget } from '../../client/follow-products.js';
import { readSystem, SERVER_NAMES, systemSnapshot, type StreamView, type SystemReading, type SystemSnapshot } from './system-snapshot.js';

export interface UseSystemOptions {
  intervalMs?: number;
  /** Deadline of each request of a read. */
  timeoutMs?: number;
  /** Follow the dashboard's changes: the products come from this stream while it is up. */
  watch?: FollowTarget;
}

export interface SystemView {
  snapshot: SystemSnapshot;
  /** False until the first read finished. */
  loaded: boolean;
  /** Reads now (after an action, or on `r`) instead of waiting for the next tick. */
  refresh(): void;
}

const DRAW_MS = 30;

const UNKNOWN_SERVERS = Object.fromEntries(SERVER_NAMES.map((name) => [name, { state: 'unknown' }])) as SystemSnapshot['servers'];

export function useSystem(urls: ServiceUrls, { intervalMs = 1000, timeoutMs = 2000, watch }: UseSystemOptions = {}): SystemView {
  const [snapshot, setSnapshot] = useState<SystemSnapshot>({ servers: UNKNOWN_SERVERS });
  const [loaded, setLoaded] = useState(false);
  const shown = useRef<string>('');
  const previous = useRef<SystemSnapshot['products']>(undefined);
  const reading = useRef<SystemReading>({ servers: UNKNOWN_SERVERS });
  const stream = useRef<StreamView | undefined>(watch ? { status: { state: 'connecting' } } : undefined);
  // A refresh asked for while a read runs starts right after it, not in parallel with it.
  const wake = useRef<() => void>(() => undefined);
  const again = useRef(false);
  const api = useRef(clientApi(urls, timeoutMs));

  /** Composes the screen from the last reading and the stream; sets state only if it changed. */
  const show = useCallback(() => {
    const next = systemSnapshot(reading.current, stream.current, previous.current);
    previous.current = next.products;
    const key = JSON.stringify(next);
    if (key === shown.current) return;
    shown.current = key;
    setSnapshot(next);
  }, []);

  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const loop = async () => {
      while (!stopped) {
        again.current = false;
        const live = stream.current?.status.state === 'live';
        reading.current = await readSystem(api.current, urls, { probeTimeoutMs: timeoutMs, listProducts: !live });
        if (stopped) return;
        show();
        setLoaded(true);
        if (again.current) continue;
        await new Promise<void>((resolve) => {
          wake.current = resolve;
          timer = setTimeout(resolve, intervalMs);
        });
        clearTimeout(timer);
        wake.current = () => undefined;
      }
    };
    void loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
      wake.current();
    };
  }, [urls, intervalMs, timeoutMs, show]);

  const refresh = useCallback(() => {
    again.current = true;
    wake.current();
  }, []);

  useEffect(() => {
    if (!watch) return undefined;
    // A burst of changes (a like storm) is drawn once per DRAW_MS, not once per change: each
    // draw copies the whole table, and ink does not paint more often than that anyway.
    let pending: NodeJS.Timeout | undefined;
    const products = () => (follower.lastSeq === '0' ? undefined : [...follower.products.values()].map(asClientProduct));
    const redraw = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        stream.current = { status: stream.current!.status, products: products() };
        show();
      }, DRAW_MS);
    };
    stream.current = { status: { state: 'connecting' } };
    let expired = false;
    const follower = followProducts(watch, {
      onSnapshot: (_products, wasExpired) => {
        expired = wasExpired;
      },
      onReady: () => {
        // The rows with the status: a read finishing before the redraw must not pair 'live' with old rows.
        stream.current = { status: expired ? { state: 'live', resynced: true } : { state: 'live' }, products: products() };
        expired = false;
        redraw();
        // The copies of what the snapshot or the resumed changes brought: read them now, not at the next tick.
        refresh();
      },
      onChange: ({ kind, product }) => {
        // New, gone or renamed: its sync state changes, so read the copies now. A like does not.
        const before = stream.current?.products?.find((p) => p.id === product.id);
        if (kind !== 'updated' || before?.title !== product.title) refresh();
        redraw();
      },
      onDisconnect: (reason, retryMs) => {
        clearTimeout(pending);
        pending = undefined;
        stream.current = { status: { state: 'down', reason, retryMs }, products: products() };
        show();
        // Until the stream is back, the dashboard's list keeps the table fresh.
        refresh();
      },
    });
    return () => {
      clearTimeout(pending);
      follower.stop();
    };
  }, [watch, refresh, show]);
  return { snapshot, loaded, refresh };
}
