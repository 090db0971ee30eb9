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
import type { PushStream, StreamSink } from '../grpc/define-service.js';
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

/** Messages to send before the live changes, and the log position they leave the watcher at. */
interface Opening {
  position: number;
  messages: WatchMessage[];
}

/** A snapshot and its marker; the position is the snapshot's. */
async function fresh(source: WatchSource, expired: boolean): Promise<Opening> {
  const snap = await changeFeed(source.sequelize).snapshot((transaction) => source.all(transaction));
  const messages: WatchMessage[] = snap.value.map((item) => ({ seq: '0', snapshot: item }));
  messages.push({ seq: String(snap.position), ready: { snapshot: true, expired } });
  return { position: snap.position, messages };
}

/** What a stream opens with, for the `after_seq` asked for (see the top of this file). */
async function opening(source: WatchSource, afterSeq: number): Promise<Opening> {
  const feed = changeFeed(source.sequelize);
  if (afterSeq === 0) return fresh(source, false);
  // Changes after it were pruned, or it is no position of this database (recreated?).
  if (afterSeq < (await prunedThrough(source.sequelize)) || afterSeq > (await feed.head())) return fresh(source, true);
  return { position: afterSeq, messages: [{ seq: String(afterSeq), ready: { snapshot: false, expired: false } }] };
}

/**
 * One watch stream. Iterated, it pulls (one await per change: the Connect and gRPC-Web
 * streams, tests); pushed (`pushTo`, the gRPC server), it writes each change as the feed
 * reads it, synchronously, as long as the client has room.
 */
export function watchChanges(source: WatchSource, afterSeq: number, signal: AbortSignal): PushStream<WatchMessage> {
  return {
    [Symbol.asyncIterator]: () => pull(source, afterSeq, signal),
    pushTo: (sink) => push(source, afterSeq, signal, sink),
  };
}

async function* pull(source: WatchSource, afterSeq: number, signal: AbortSignal): AsyncGenerator<WatchMessage> {
  const feed = changeFeed(source.sequelize);
  const { ready, detach } = feed.attach();
  try {
    await ready;
    const open = await opening(source, afterSeq);
    let position = open.position;
    yield* open.messages;
    while (!signal.aborted) {
      let changes: Change[] | undefined = feed.since(position);
      if (changes === undefined) {
        const page = await feed.readPage(position);
        if (page === 'expired') {
          const again = await fresh(source, true);
          position = again.position;
          yield* again.messages;
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

/**
 * The pushed stream: a small state machine driven by the feed's synchronous listener. At
 * rest it is subscribed and holds only its position; when the feed reads more, `deliver`
 * writes every change it has not sent while the sink takes them. An async step (the
 * opening, waiting for the client to drain, a page from the database for a watcher behind
 * the ring, a fresh snapshot after expiry) runs one at a time; the changes that arrive
 * meanwhile wait in the ring (or the log), and are written after it, in order. A client that
 * does not read costs one parked step and its position: nothing queues for it.
 */
function push(source: WatchSource, afterSeq: number, signal: AbortSignal, sink: StreamSink<WatchMessage>): Promise<void> {
  const feed = changeFeed(source.sequelize);
  const { ready, detach } = feed.attach();
  let position = afterSeq;
  let busy = true; // the opening is the first step
  let unsubscribe: () => unknown = () => undefined;
  return new Promise<void>((resolve, reject) => {
    let over = false;
    const finish = (err?: unknown) => {
      if (over) return;
      over = true;
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      detach();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = () => finish();
    /** Writes messages in order, waiting for the client's room whenever the sink is full. */
    const writeAll = async (messages: WatchMessage[]) => {
      for (const message of messages) {
        if (signal.aborted) return;
        if (!sink.write(message)) await sink.drained();
      }
    };
    /** Runs one async step; the feed's notifications meanwhile are caught up on after it. */
    const step = (work: () => Promise<void>) => {
      busy = true;
      work().then(
        () => {
          busy = false;
          deliver();
        },
        (err: unknown) => finish(err),
      );
    };
    const deliver = () => {
      if (busy || over) return; // `over` is set on abort: no AbortSignal getter per change
      try {
        const recent = feed.recentAfter(position);
        if (recent === undefined) return step(catchUp);
        // Straight from the ring: nothing is read meanwhile (this runs in one turn), and
        // once the ring is written out the feed calls again when it has read more.
        const { changes, start } = recent;
        for (let i = start; i < changes.length; i++) {
          const change = changes[i];
          position = change.seq;
          if (change.topic !== source.topic) continue;
          if (!sink.write(change.wire as unknown as WatchMessage)) return step(() => sink.drained());
        }
      } catch (err) {
        finish(err);
      }
    };
    /** Behind the ring: a page from the database, or a fresh snapshot when pruning took it. */
    const catchUp = async () => {
      const page = await feed.readPage(position);
      if (page === 'expired') {
        const again = await fresh(source, true);
        position = again.position;
        return writeAll(again.messages);
      }
      for (const change of page) {
        if (signal.aborted) return;
        position = change.seq;
        if (change.topic !== source.topic) continue;
        if (!sink.write(change.wire as unknown as WatchMessage)) await sink.drained();
      }
    };

    if (signal.aborted) return finish();
    signal.addEventListener('abort', onAbort);
    unsubscribe = feed.subscribe(deliver);
    step(async () => {
      await ready;
      const open = await opening(source, afterSeq);
      position = open.position;
      await writeAll(open.messages);
    });
  });
}
