/**
 * The interaction of `mgrpc ui`: which form is open (create, edit, delete, like or none),
 * the keys of the table view, the highlighted product, and the requests the forms send.
 * Every outcome lands in the status line; a request in flight blocks further writes
 * (not browsing) until it answers, so one key press is one request.
 */
import { useApp, useInput } from 'ink';
import { useCallback, useRef, useState } from 'react';

import { clientApi, type ServiceUrls } from '../../client/api.js';
import { createProduct, deleteProduct, editProduct, likeProduct, type StatusLine, type Target } from './actions.js';
import { moveSelection, selectedIndex, type Selection } from './selection.js';
import type { ProductRow } from './system-snapshot.js';

/** The open form, with what it has gathered so far. */
export type Mode =
  | { kind: 'browse' }
  | { kind: 'create-title' }
  | { kind: 'create-image'; title: string }
  | { kind: 'edit-title'; target: ProductRow }
  | { kind: 'edit-image'; target: ProductRow; title: string }
  | { kind: 'delete'; target: ProductRow }
  | { kind: 'like'; target: ProductRow };

export interface ConsoleState {
  mode: Mode;
  status?: StatusLine;
  /** Index of the highlighted row. */
  selected: number;
  /** Closes the open form with the given answer. */
  answer: {
    createTitle(title: string): void;
    createImage(image: string): void;
    editTitle(title: string): void;
    editImage(image: string): void;
    confirmDelete(yes: boolean): void;
    like(userId: string | undefined): void;
    cancel(): void;
  };
}

export interface UseConsoleOptions {
  urls: ServiceUrls;
  rows: readonly ProductRow[] | undefined;
  /** Rows moved by PgUp/PgDn. */
  pageSize: number;
  refresh(): void;
  timeoutMs?: number;
}

export function useConsole({ urls, rows, pageSize, refresh, timeoutMs = 10_000 }: UseConsoleOptions): ConsoleState {
  const { exit } = useApp();
  const api = useRef(clientApi(urls, timeoutMs));
  const [mode, setMode] = useState<Mode>({ kind: 'browse' });
  const [status, setStatus] = useState<StatusLine>();
  const [selection, setSelection] = useState<Selection>({ index: 0 });
  const busy = useRef(false);
  const list = rows ?? [];
  const selected = selectedIndex(list, selection);

  const run = useCallback(
    (working: string, request: () => Promise<StatusLine & { selectId?: string }>) => {
      setMode({ kind: 'browse' });
      busy.current = true;
      setStatus({ tone: 'info', text: working });
      void request().then((outcome) => {
        busy.current = false;
        setStatus({ tone: outcome.tone, text: outcome.text });
        refresh();
      });
    },
    [refresh],
  );

  const target = (): ProductRow | undefined => {
    const row = list[selected];
    if (!row) setStatus({ tone: 'warning', text: 'no product selected: press c to create one' });
    return row;
  };

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) return exit();
      if (key.upArrow || key.downArrow) return setSelection(moveSelection(list, { id: list[selected]?.id, index: selected }, key.upArrow ? -1 : 1));
      if (key.pageUp || key.pageDown) return setSelection(moveSelection(list, { id: list[selected]?.id, index: selected }, key.pageUp ? -pageSize : pageSize));
      if (key.home || key.end) return setSelection(moveSelection(list, { index: 0 }, key.home ? 0 : list.length));
      if (input === 'r') {
        setStatus(undefined);
        return refresh();
      }
      if (!['c', 'e', 'd', 'l'].includes(input)) return;
      if (busy.current) return setStatus({ tone: 'warning', text: 'still waiting for the last request…' });
      if (input === 'c') return setMode({ kind: 'create-title' });
      const row = target();
      if (!row) return;
      if (input === 'e') setMode({ kind: 'edit-title', target: row });
      else if (input === 'd') setMode({ kind: 'delete', target: row });
      else setMode({ kind: 'like', target: row });
    },
    { isActive: mode.kind === 'browse' },
  );

  const asTarget = (row: ProductRow): Target => ({ id: row.id, title: row.title });
  const answer: ConsoleState['answer'] = {
    createTitle: (title) => setMode({ kind: 'create-image', title }),
    createImage: (image) => {
      if (mode.kind !== 'create-image') return;
      const { title } = mode;
      run('creating…', async () => {
        const outcome = await createProduct(api.current, title, image);
        if (outcome.id) setSelection({ id: outcome.id, index: list.length });
        return outcome;
      });
    },
    editTitle: (title) => {
      if (mode.kind === 'edit-title') setMode({ kind: 'edit-image', target: mode.target, title });
    },
    editImage: (image) => {
      if (mode.kind !== 'edit-image') return;
      const { target: row, title } = mode;
      run('saving…', () => editProduct(api.current, asTarget(row), title, image));
    },
    confirmDelete: (yes) => {
      if (mode.kind !== 'delete') return;
      const row = mode.target;
      if (!yes) {
        setMode({ kind: 'browse' });
        return setStatus({ tone: 'info', text: 'nothing deleted' });
      }
      run('deleting…', () => deleteProduct(api.current, asTarget(row)));
    },
    like: (userId) => {
      if (mode.kind !== 'like') return;
      const row = mode.target;
      run('liking…', () => likeProduct(api.current, asTarget(row), userId));
    },
    cancel: () => {
      setMode({ kind: 'browse' });
      setStatus({ tone: 'info', text: 'cancelled: nothing was sent' });
    },
  };

  return { mode, status, selected, answer };
}
