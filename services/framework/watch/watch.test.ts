/**
 * The watch protocol on a real SQLite file (the framework's own book model, no gRPC in
 * between): snapshot then ready then live changes; resuming from a seq; a resume point or a
 * watcher left behind by pruning gets a fresh snapshot flagged expired; bad input refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError, ModelResource, migrate, openDatabase, outboxMigration, pruneChanges, sqliteUrl, watchAction, watchChanges, type WatchMessage } from '../index.js';
import { bookMigrations, bookSerializer, defineBook, type Book } from '../../../test/support/book.js';
import { configureChangeLog, DEFAULT_CHANGE_LOG } from './change-log.js';
import { changesMigration } from './tables.js';

let dir: string;
let sequelize: Sequelize;
let books: ModelResource<Book>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-watch-'));
  sequelize = await openDatabase(sqliteUrl(path.join(dir, 'books.sqlite3')));
  await migrate(sequelize, [outboxMigration, changesMigration, ...bookMigrations]);
  books = new ModelResource<Book>({ name: 'book', model: defineBook(sequelize), serializer: bookSerializer, changes: true, ordering: [['title', 'ASC']] });
});

afterAll(async () => {
  await sequelize?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Mode = 'pulled' | 'pushed';

/**
 * A watch stream read by hand: pulled (its async iterator, as Connect reads it) or pushed
 * (`pushTo`, as the gRPC server drives it) into a sink that says it is full past two unread
 * messages, so the pushed stream also waits for room as it does on a real call.
 */
function open(afterSeq: number, mode: Mode) {
  const controller = new AbortController();
  const stream = watchChanges({ sequelize, topic: 'book', all: async (t) => (await books.all(t)).map((b) => bookSerializer.toMessage(b)) }, afterSeq, controller.signal);
  let next: () => Promise<WatchMessage>;
  let close: () => Promise<void>;
  if (mode === 'pulled') {
    const iterator = stream[Symbol.asyncIterator]();
    next = async () => (await iterator.next()).value as WatchMessage;
    close = async () => {
      controller.abort();
      await iterator.return?.(undefined);
    };
  } else {
    const queue: WatchMessage[] = [];
    let arrived: (() => void) | undefined;
    let room: (() => void) | undefined;
    const done = stream.pushTo({
      write(message) {
        queue.push(message);
        arrived?.();
        return queue.length < 2;
      },
      drained: () => new Promise<void>((resolve) => (queue.length < 2 || controller.signal.aborted ? resolve() : (room = resolve))),
    });
    next = async () => {
      while (queue.length === 0) await new Promise<void>((resolve) => (arrived = resolve));
      const message = queue.shift()!;
      if (queue.length < 2) room?.();
      return message;
    };
    close = async () => {
      controller.abort();
      room?.();
      await done;
    };
  }
  return {
    next,
    /** Messages up to and including the first that `stop` accepts. */
    async until(stop: (m: WatchMessage) => boolean): Promise<WatchMessage[]> {
      const seen: WatchMessage[] = [];
      for (;;) {
        const message = await next();
        seen.push(message);
        if (stop(message)) return seen;
      }
    },
    close,
  };
}

describe.each<Mode>(['pulled', 'pushed'])('watch streams, %s', (mode) => {
  // Each mode starts from no books (the log keeps its past: positions only grow).
  beforeAll(async () => {
    await books.model.destroy({ where: {} });
  });

  it('sends a snapshot, a ready marker, then creates, updates and deletes in order', async () => {
    const dune = await books.create({ title: 'Dune' });
    const w = open(0, mode);
    const opening = await w.until((m) => m.ready !== undefined);
    expect(opening.map((m) => m.seq)).toEqual(['0', opening[1]!.seq]);
    expect(opening[0]!.snapshot).toMatchObject({ id: dune.id, title: 'Dune' });
    expect(opening[1]!.ready).toEqual({ snapshot: true, expired: false });

    const emma = await books.create({ title: 'Emma' });
    await books.update(dune.id, { title: 'Dune Messiah' });
    await books.destroy(emma.id);
    const live = [await w.next(), await w.next(), await w.next()];
    expect(live.map((m) => Object.keys(m).find((k) => k !== 'seq'))).toEqual(['created', 'updated', 'deleted']);
    expect(live[1]!.updated).toMatchObject({ id: dune.id, title: 'Dune Messiah' });
    const seqs = live.map((m) => Number(m.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[0]).toBeGreaterThan(Number(opening[1]!.seq));
    await w.close();

    // Resuming after the create: ready at once, then exactly the two changes after it.
    const again = open(seqs[0]!, mode);
    expect(await again.next()).toEqual({ seq: String(seqs[0]), ready: { snapshot: false, expired: false } });
    expect([(await again.next()).seq, (await again.next()).seq]).toEqual([String(seqs[1]), String(seqs[2])]);
    await again.close();
  });

  it('answers a resume point the log no longer has with a fresh snapshot flagged expired', async () => {
    const w = open(0, mode);
    const [ready] = (await w.until((m) => m.ready !== undefined)).slice(-1);
    await w.close();
    for (let i = 0; i < 5; i++) await books.create({ title: `Pruned ${i}` });
    await pruneChanges(sequelize, 1);
    const stale = open(Number(ready!.seq), mode);
    const messages = await stale.until((m) => m.ready !== undefined);
    expect(messages.at(-1)!.ready).toEqual({ snapshot: true, expired: true });
    expect(messages.filter((m) => m.snapshot).length).toBe(await books.model.count());
    await stale.close();
  });

  it('gives watchers a fresh snapshot, in the same stream, when pruning overtook their feed', async () => {
    // Another process writes and prunes; this one's feed hears of it only at its next read.
    const other = await openDatabase(sqliteUrl(path.join(dir, 'books.sqlite3')));
    const otherBooks = new ModelResource<Book>({ name: 'book', model: defineBook(other), serializer: bookSerializer, changes: true });
    configureChangeLog(sequelize, { pollMs: 3_600_000 });
    try {
      const w = open(0, mode);
      await w.until((m) => m.ready !== undefined);
      for (let i = 0; i < 20; i++) await otherBooks.create({ title: `Elsewhere ${i}` });
      await pruneChanges(other, 1);
      await books.create({ title: 'Here' }); // a commit in this process: the feed reads now
      const messages = await w.until((m) => m.ready !== undefined);
      expect(messages.at(-1)!.ready).toEqual({ snapshot: true, expired: true });
      expect(messages.filter((m) => m.snapshot).length).toBe(await books.model.count());
      await w.close();
    } finally {
      configureChangeLog(sequelize, { pollMs: DEFAULT_CHANGE_LOG.pollMs });
      await other.close();
    }
  });

  it('refuses a negative after_seq, and a resource that does not record its changes', async () => {
    expect(() => watchAction(books)({ afterSeq: '-1' }, { signal: new AbortController().signal } as never)).toThrow(AppError);
    const plain = new ModelResource<Book>({ name: 'plain', model: books.model, serializer: bookSerializer });
    expect(() => watchAction(plain)).toThrow("watchAction: the plain resource does not record its changes; add `changes: true` to its ModelResource config");
  });
});
