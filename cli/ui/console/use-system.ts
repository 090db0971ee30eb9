/**
 * Polls the running system for `mgrpc ui`: one snapshot (products, sync state, the four
 * servers' health) about every `intervalMs`, the next read starting only after the last
 * one finished, so a slow server never piles requests up. With `watch`, it also follows the
 * dashboard's WatchProducts stream (reconnecting by itself) and reads at once after every
 * committed change, so likes and edits show as they happen, not at the next tick. State changes only when what is
 * shown changes: ink redraws on state changes, and an unchanged screen is not redrawn.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import { clientApi, type ServiceUrls } from '../../client/api.js';
import { followProducts, type FollowTarget } from '../../client/follow-products.js';
import { loadSnapshot, SERVER_NAMES, type SystemSnapshot } from './system-snapshot.js';

export interface UseSystemOptions {
  intervalMs?: number;
  /** Deadline of each request of a poll. */
  timeoutMs?: number;
  /** Follow the dashboard's changes, reading after each. */
  watch?: FollowTarget;
}

export interface SystemView {
  snapshot: SystemSnapshot;
  /** False until the first poll finished. */
  loaded: boolean;
  /** Polls now (after an action, or on `r`) instead of waiting for the next tick. */
  refresh(): void;
}

const UNKNOWN: SystemSnapshot = {
  servers: Object.fromEntries(SERVER_NAMES.map((name) => [name, { state: 'unknown' }])) as SystemSnapshot['servers'],
};

export function useSystem(urls: ServiceUrls, { intervalMs = 1000, timeoutMs = 2000, watch }: UseSystemOptions = {}): SystemView {
  const [snapshot, setSnapshot] = useState<SystemSnapshot>(UNKNOWN);
  const [loaded, setLoaded] = useState(false);
  const shown = useRef<string>('');
  const previous = useRef<SystemSnapshot['products']>(undefined);
  // A refresh asked for while a poll runs starts right after it, not in parallel with it.
  const wake = useRef<() => void>(() => undefined);
  const again = useRef(false);
  const api = useRef(clientApi(urls, timeoutMs));

  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const loop = async () => {
      while (!stopped) {
        again.current = false;
        const next = await loadSnapshot(api.current, urls, { probeTimeoutMs: timeoutMs, previous: previous.current });
        if (stopped) return;
        previous.current = next.products;
        const key = JSON.stringify(next);
        if (key !== shown.current) {
          shown.current = key;
          setSnapshot(next);
        }
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
  }, [urls, intervalMs, timeoutMs]);

  const refresh = useCallback(() => {
    again.current = true;
    wake.current();
  }, []);

  useEffect(() => {
    if (!watch) return undefined;
    const follower = followProducts(watch, { onChange: refresh, onSnapshot: refresh });
    return () => follower.stop();
  }, [watch, refresh]);
  return { snapshot, loaded, refresh };
}
