/**
 * `mgrpc ui`: the live console, composed from the data hook (use-system: the products
 * stream, health and copies), the interaction hook (use-console) and the presentational screen.
 */
import { useRef } from 'react';

import type { ServiceUrls } from '../../client/api.js';
import type { FollowTarget } from '../../client/follow-products.js';
import { CHROME_LINES, ConsoleScreen } from './console-screen.js';
import { scrollTop } from './selection.js';
import { useConsole } from './use-console.js';
import { useSystem } from './use-system.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface ConsoleAppProps {
  urls: ServiceUrls;
  /** How often health and the product service's copies are read (default 1000 ms; 2000 ms when following `watch`). */
  intervalMs?: number;
  /** The dashboard's WatchProducts: the product table follows it (the REST list only while it is down). */
  watch?: FollowTarget;
}

export function ConsoleApp({ urls, intervalMs, watch }: ConsoleAppProps) {
  const { rows, columns } = useTerminalSize();
  // One line fewer than the terminal: a frame as tall as the terminal makes ink clear and redraw it all.
  const tableHeight = Math.max(3, rows - 1 - CHROME_LINES);
  const { snapshot, refresh } = useSystem(urls, { intervalMs: intervalMs ?? (watch ? 2000 : undefined), watch });
  const state = useConsole({ urls, rows: snapshot.products, pageSize: tableHeight, refresh });
  const top = useRef(0);
  top.current = scrollTop(top.current, state.selected, tableHeight, snapshot.products?.length ?? 0);
  return (
    <ConsoleScreen
      urls={urls}
      snapshot={snapshot}
      mode={state.mode}
      status={state.status}
      answer={state.answer}
      selected={state.selected}
      top={top.current}
      tableHeight={tableHeight}
      width={Math.max(40, columns - 1)}
    />
  );
}
