/**
 * One watch stream, the protocol every `Watch<Model>s` RPC speaks (docs/watch.md):
 *
 *   after_seq = 0            -> snapshot, snapshot, …, ready{snapshot: true}, live, live, …
 *   after_seq = a seq we had -> ready{snapshot: false}, live changes after it, …
 *   after_seq too old/unknown-> snapshot, …, ready{snapshot: true, expired: true}, live, …
 *
 * Snapshot messages carry seq 0 (no place to resume from); `ready` carries the position
 * the snapshot is as of, and each live change its own `seq`. A client that resumes from the
 * last seq it received gets every later change exactly once, from any replica of the same
 * database. A watcher that falls behind the log's pruned start gets a fresh snapshot
 * (flagged expired) in the same stream.
 */
import type { Sequelize, Transaction } from 'sequelize';

import { AppError } from '../errors.js';
import { prunedThrough } from './change-log.js';
import { changeFeed, type Change } from './feed.js';

export interface WatchSource {
  sequelize: Sequelize;
  /** The log topic of the watched model (its resource's name). */
  topic: string;
  /** Every object now, as messages, read inside `transaction`. */
  all(transaction: Transaction): Promise<object[]>;
}

export interface WatchReady {
  snapshot: boolean;
  expired: boolean;
}

/** One message of a watch stream: `seq` and exactly one event field. */
export interface WatchMessage {
  seq: string;
  snapshot?: object;
  ready?: WatchReady;
  created?: object;
  updated?: object;
  deleted?: object;
}

/** Parses the request's `after_seq` (an int64 arrives as a decimal string). */
export function parseAfterSeq(value: unknown): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0) throw AppError.invalid('after_seq', 'must be a non-negative integer: the seq of the last change received, or 0 for a snapshot');
  return n;
}

export async function* watchChanges(source: WatchSource, afterSeq: number, signal: AbortSignal): AsyncGenerator<WatchMessage> {
  const feed = changeFeed(source.sequelize);
  const { ready, detach } = feed.attach();
  try {
    await ready;
    let position = afterSeq;
    /** A snapshot and its marker; afterwards `position` is the snapshot's. */
    async function* fresh(expired: boolean): AsyncGenerator<WatchMessage> {
      const snap = await feed.snapshot((transaction) => source.all(transaction));
      position = snap.position;
      for (const item of snap.value) yield { seq: '0', snapshot: item };
      yield { seq: String(snap.position), ready: { snapshot: true, expired } };
    }

    if (afterSeq === 0) {
      yield* fresh(false);
    } else if (afterSeq < (await prunedThrough(source.sequelize)) || afterSeq > (await feed.head())) {
      // Changes after it were pruned, or it is no position of this database (recreated?).
      yield* fresh(true);
    } else {
      yield { seq: String(afterSeq), ready: { snapshot: false, expired: false } };
    }

    while (!signal.aborted) {
      let changes: Change[] | undefined = feed.since(position);
      if (changes === undefined) {
        const page = await feed.readPage(position);
        if (page === 'expired') {
          yield* fresh(true);
          continue;
        }
        changes = page;
      }
      if (changes.length === 0) {
        await feed.next(position, signal);
        continue;
      }
      for (const change of changes) {
        position = change.seq;
        if (change.topic !== source.topic) continue;
        yield change.wire as unknown as WatchMessage; // the shared, frozen message (feed.ts)
      }
    }
  } finally {
    detach();
  }
}
