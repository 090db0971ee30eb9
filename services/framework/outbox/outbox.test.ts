/**
 * The outbox and its relay over real databases (SQLite files in a temp dir, and fresh PostgreSQL databases), delivering to a real
 * grpc-js server on a loopback port: delivery only after commit, the outcomes a writer
 * waits for, retries with growing backoff until the receiver is back, per-entity order,
 * leases (taken over after expiry, given back on stop, never shared by two relays).
 */

import type { Sequelize } from 'sequelize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { atomic } from '../db/atomic.js';
import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrations.js';
import { AppError, type ErrorCode } from '../errors.js';
import { createClient, type CallOptions, type PromiseClient } from '../grpc/clients.js';
import { defineService, type CallContext } from '../grpc/define-service.js';
import { startGrpcServer, type RunningGrpcServer } from '../grpc/server.js';
import { bookMigrations } from '../../../test/support/book.js';
import { loadBookService, recordingLogger } from '../../../test/support/library.js';
import { retryDelay } from './backoff.js';
import { REQUEST_ID_HEADER } from '../observability/request-context.js';
import { IDEMPOTENCY_KEY, ORIGIN, SEQUENCE } from '../sync/metadata.js';
import { outboxMigration } from '../sync/tables.js';
import { Outbox, outboxOptionsFromEnv, type BatchItem, type Deliver, type OutboxOptions } from './outbox.js';
import { sleep, waitUntil } from '../../../test/support/wait.js';
import { DIALECTS, TestDatabases } from '../../../test/support/databases.js';

const definition = loadBookService().service;
/** The client's Update, typed (the library proto is loaded at run time, so its definition is untyped). */
type BookClient = Pick<PromiseClient<typeof definition>, 'close'> & { Update(change: Change, options?: CallOptions): Promise<Change> };

const TOPIC = 'book.update';
/** Small settings, as MGRPC_OUTBOX_* would give, so retries happen within a test. */
const FAST = { pollMs: 50, leaseMs: 5000, backoff: { initialMs: 20, maxMs: 200 } } satisfies Partial<OutboxOptions>;
/**
 * The delivering client's deadline. createClient retries UNAVAILABLE itself within the
 * deadline, so while the receiver is down an attempt fails after about this long, with
 * UNAVAILABLE or DEADLINE_EXCEEDED; both are retried by the outbox.
 */
const DEADLINE_MS = 400;
const TRANSIENT = ['UNAVAILABLE', 'DEADLINE_EXCEEDED'];

interface Change {
  id: string;
  title: string;
}

/** One call the receiver saw. */
interface Seen {
  id: string;
  title: string;
  key: string;
  sequence: number;
  origin: string;
  /** The x-request-id the delivery carried, when it carried one. */
  requestId?: string;
}

const databases = new TestDatabases('mgrpc-outbox-');

let url: string;
let sequelize: Sequelize;
let receiver: RunningGrpcServer | undefined;
let receiverPort: number;
let client: BookClient;
const logger = recordingLogger();
const opened: Sequelize[] = [];
const outboxes: Outbox[] = [];
/** Every call that reached the receiver, and the ones it acknowledged. */
let calls: Seen[];
let applied: Seen[];
/** What the receiver does with a call before acknowledging it (throw to refuse it). */
let behave: (change: Change) => Promise<void> | void;
/** Calls in progress per book id, and the most ever seen at once. */
let inProgress: Map<string, number>;
let maxInProgress: number;



function seen(request: Change, call: CallContext): Seen {
  const text = (key: string) => String(call.metadata.get(key)[0] ?? '');
  const requestId = text(REQUEST_ID_HEADER);
  return { id: request.id, title: request.title, key: text(IDEMPOTENCY_KEY), sequence: Number(text(SEQUENCE)), origin: text(ORIGIN), ...(requestId ? { requestId } : {}) };
}

async function startReceiver(port = 0): Promise<void> {
  const unused = async () => {
    throw new AppError('UNIMPLEMENTED', 'not used by these tests');
  };
  const service = defineService(definition, {
    List: unused,
    Retrieve: unused,
    Create: unused,
    PartialUpdate: unused,
    Destroy: unused,
    Explode: unused,
    Update: async (request: Change, call: CallContext) => {
      const record = seen(request, call);
      calls.push(record);
      const now = (inProgress.get(request.id) ?? 0) + 1;
      inProgress.set(request.id, now);
      maxInProgress = Math.max(maxInProgress, now);
      try {
        await behave(request);
        // A moment in the handler, so two deliveries of one entity would overlap.
        await sleep(2);
      } finally {
        inProgress.set(request.id, inProgress.get(request.id)! - 1);
      }
      applied.push(record);
      return { id: request.id, title: `ack:${request.title}` };
    },
  });
  receiver = await startGrpcServer({ host: '127.0.0.1', port, services: [service], logger });
  receiverPort = receiver.port;
}

async function stopReceiver(): Promise<void> {
  await receiver?.close(200);
  receiver = undefined;
}

async function openShared(): Promise<Sequelize> {
  const db = await openDatabase(url);
  opened.push(db);
  return db;
}

/** Delivers a change as BookService.Update with the outbox metadata; resolves the acknowledged title. */
const viaGrpc: Deliver<Change, string> = async (change, { metadata }) => (await client.Update(change, { metadata })).title;

function newOutbox(options: Partial<OutboxOptions> = {}, deliver: Deliver<Change> = viaGrpc, db = sequelize): Outbox {
  const outbox = new Outbox(db, { logger, ...FAST, ...options });
  outbox.handle(TOPIC, deliver);
  outboxes.push(outbox);
  return outbox;
}

function enqueue(outbox: Outbox, change: Change, orderingKey?: string, idempotencyKey?: string): Promise<number> {
  return atomic(outbox.sequelize, (t) => outbox.enqueue(t, { topic: TOPIC, payload: change, orderingKey, idempotencyKey }));
}

const titlesOf = (list: Seen[], id?: string) => list.filter((s) => id === undefined || s.id === id).map((s) => s.title);

describe.each(DIALECTS)('on %s', (each) => {
  beforeEach(async () => {
    calls = [];
    applied = [];
    behave = () => undefined;
    inProgress = new Map();
    maxInProgress = 0;
    databases.start(each);
    url = await databases.url('sender.sqlite3');
    sequelize = await openShared();
    await migrate(sequelize, [outboxMigration, ...bookMigrations]);
    await startReceiver();
    client = createClient(definition, `127.0.0.1:${receiverPort}`, { name: 'library gRPC', deadlineMs: DEADLINE_MS }) as unknown as BookClient;
  });

  afterEach(async () => {
    // Long enough for attempts in flight (bounded by the client deadline) to record their result.
    await Promise.all(outboxes.splice(0).map((o) => o.stop(2 * DEADLINE_MS)));
    client.close();
    await stopReceiver();
    await Promise.all(opened.splice(0).map((db) => db.close()));
    await databases.cleanup();
  });

  describe('enqueue', () => {
    it('delivers a committed entry with its idempotency key, sequence and origin, and removes it', async () => {
      const outbox = newOutbox();
      await outbox.start();
      const id = await enqueue(outbox, { id: 'b1', title: 'Dune' }, 'book:b1', 'change-1');
      expect(await outbox.waitFor(id, 1000)).toEqual({ status: 'delivered', result: 'ack:Dune' });
      expect(applied).toEqual([{ id: 'b1', title: 'Dune', key: 'change-1', sequence: id, origin: await outbox.store.origin() }]);
      expect(applied[0].origin).toMatch(/^[0-9a-f-]{36}$/);
      await waitUntil('the delivered row to be deleted', async () => (await outbox.entries()).length === 0);
      expect(await outbox.stats()).toEqual([]);
    });

    it('gives every entry a fresh idempotency key by default and increasing sequences', async () => {
      const outbox = newOutbox();
      await outbox.start();
      const ids = [await enqueue(outbox, { id: 'b1', title: 'one' }), await enqueue(outbox, { id: 'b2', title: 'two' })];
      await Promise.all(ids.map((id) => outbox.waitFor(id, 1000)));
      expect(applied).toHaveLength(2);
      expect(applied[0].key).not.toBe(applied[1].key);
      expect(applied.map((s) => s.sequence).sort((a, b) => a - b)).toEqual(ids);
      expect(ids[1]).toBeGreaterThan(ids[0]);
    });

    it('enqueueMany writes a batch in one go: ids in the order given, each entity still in order, each request id kept', async () => {
      const outbox = newOutbox();
      await outbox.start();
      const list = [
        { id: 'b1', title: 'one', orderingKey: 'book:b1', requestId: 'req-1' },
        { id: 'b2', title: 'other', orderingKey: undefined, requestId: 'req-2' },
        { id: 'b1', title: 'two', orderingKey: 'book:b1', requestId: 'req-3' },
      ];
      const ids = await atomic(sequelize, (t) =>
        outbox.enqueueMany(
          t,
          list.map(({ id, title, orderingKey, requestId }) => ({ topic: TOPIC, payload: { id, title }, orderingKey, requestId })),
        ),
      );
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(3);
      await waitUntil('all three to arrive', async () => applied.length === 3 && (await outbox.entries()).length === 0, 2500);
      // The second change of b1 waited for the first although both were written together.
      expect(titlesOf(applied, 'b1')).toEqual(['one', 'two']);
      expect(applied.find((s) => s.title === 'two')!.sequence).toBe(ids[2]);
      expect(calls.map((c) => c.requestId).sort()).toEqual(['req-1', 'req-2', 'req-3']);
    });

    it('deletes delivered unordered rows with an enqueue once a few wait, else after the flush delay or on stop', async () => {
      const outbox = newOutbox({ flushDelayMs: 60_000 });
      await outbox.start();
      const deliver = async (title: string) => {
        const id = await enqueue(outbox, { id: title, title });
        expect(await outbox.waitFor(id, 1000)).toMatchObject({ status: 'delivered' });
        return id;
      };
      const first = await deliver('first');
      // Delivered, and still in the table: one row does not ride along with a write.
      const second = await deliver('second');
      expect((await outbox.entries()).map((e) => e.id)).toEqual([first, second]);
      await deliver('third');
      await deliver('fourth');
      const fifth = await deliver('fifth');
      // The fifth entry's transaction found four delivered rows waiting and took them along.
      expect((await outbox.entries()).map((e) => e.id)).toEqual([fifth]);
      await outbox.stop();
      expect(await outbox.entries()).toEqual([]);
      expect(applied.map((s) => s.title)).toEqual(['first', 'second', 'third', 'fourth', 'fifth']);

      const timed = newOutbox({ flushDelayMs: 30 });
      await timed.start();
      const sixth = await enqueue(timed, { id: 'b6', title: 'sixth' });
      await timed.waitFor(sixth, 1000);
      await waitUntil('the flush timer to delete the row', async () => (await timed.entries()).length === 0, 1000);
    });

    it('deletes them in the COMMIT of the enqueue that carries them: a rolled-back enqueue leaves them in the table', async () => {
      const outbox = newOutbox({ flushDelayMs: 60_000 });
      await outbox.start();
      const delivered: number[] = [];
      for (const title of ['a', 'b', 'c', 'd']) {
        const id = await enqueue(outbox, { id: title, title });
        expect(await outbox.waitFor(id, 1000)).toMatchObject({ status: 'delivered' });
        delivered.push(id);
      }
      const refused = atomic(sequelize, async (t) => {
        await outbox.enqueue(t, { topic: TOPIC, payload: { id: 'e', title: 'rolled back' } });
        throw new Error('the write fails after its enqueue');
      });
      await expect(refused).rejects.toThrow('the write fails after its enqueue');
      // Nothing of the failed transaction stayed, its entry nor the deletion it carried: the
      // rows stay leased, to be delivered again after the lease (the receiver's inbox answers).
      expect((await outbox.entries()).map((e) => e.id)).toEqual(delivered);
      await outbox.stop();
    });

    it('keeps sequences increasing after the outbox emptied and the process restarted', async () => {
      // Receivers ignore a sequence at or below the newest they applied, so ids of deleted
      // rows must never be handed out again.
      const before = newOutbox();
      await before.start();
      const first = await enqueue(before, { id: 'b1', title: 'first' }, 'book:b1');
      await before.waitFor(first, 1000);
      await waitUntil('the outbox to be empty', async () => (await before.entries()).length === 0);
      await before.stop();

      const after = newOutbox({}, viaGrpc, await openShared());
      await after.start();
      const second = await enqueue(after, { id: 'b1', title: 'second' }, 'book:b1');
      expect(await after.waitFor(second, 1000)).toMatchObject({ status: 'delivered' });
      expect(applied.map((s) => s.sequence)).toEqual([first, second]);
      expect(second).toBeGreaterThan(first);
      expect(applied[1].origin).toBe(applied[0].origin);
    });

    it('never delivers an entry whose transaction rolled back', async () => {
      const outbox = newOutbox();
      await outbox.start();
      let rolledBack = 0;
      await expect(
        atomic(sequelize, async (t) => {
          rolledBack = await outbox.enqueue(t, { topic: TOPIC, payload: { id: 'b1', title: 'never' }, orderingKey: 'book:b1' });
          throw new Error('the write failed after enqueue');
        }),
      ).rejects.toThrow('the write failed after enqueue');
      expect(rolledBack).toBeGreaterThan(0);
      // A later change of the same entity would queue behind the rolled-back one if it existed.
      const marker = await enqueue(outbox, { id: 'b1', title: 'marker' }, 'book:b1');
      expect(await outbox.waitFor(marker, 1000)).toMatchObject({ status: 'delivered' });
      expect(titlesOf(calls)).toEqual(['marker']);
      expect(await outbox.waitFor(rolledBack, 100)).toEqual({ status: 'pending' });
      expect(await outbox.entries()).toEqual([]);
    });

    it('inside a nested atomic block, delivers only when the outermost transaction commits', async () => {
      const outbox = newOutbox();
      await outbox.start();
      let id = 0;
      await atomic(sequelize, async () => {
        id = await atomic(sequelize, (t) => outbox.enqueue(t, { topic: TOPIC, payload: { id: 'b1', title: 'nested' } }));
        // The inner block is done but the outer transaction is still open: nothing went out.
        await sleep(FAST.pollMs * 2);
        expect(calls).toEqual([]);
      });
      expect(await outbox.waitFor(id, 1000)).toEqual({ status: 'delivered', result: 'ack:nested' });

      await expect(
        atomic(sequelize, async () => {
          await atomic(sequelize, (t) => outbox.enqueue(t, { topic: TOPIC, payload: { id: 'b2', title: 'rolled back' }, orderingKey: 'book:b2' }));
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      const marker = await enqueue(outbox, { id: 'b2', title: 'marker' }, 'book:b2');
      await outbox.waitFor(marker, 1000);
      expect(titlesOf(calls)).toEqual(['nested', 'marker']);
    });

    it('refuses a topic without a handler, and a second handler for a topic', async () => {
      const outbox = newOutbox();
      await expect(atomic(sequelize, (t) => outbox.enqueue(t, { topic: 'nobody.listens', payload: {} }))).rejects.toThrow(
        "outbox topic 'nobody.listens' has no handler; register one with outbox.handle()",
      );
      expect(() => outbox.handle(TOPIC, viaGrpc)).toThrow(`outbox topic '${TOPIC}' already has a handler`);
      expect(await outbox.entries()).toEqual([]);
    });

    it('keeps entries enqueued while stopped, and delivers them once started', async () => {
      const outbox = newOutbox();
      const id = await enqueue(outbox, { id: 'b1', title: 'queued' }, 'book:b1');
      expect(await outbox.waitFor(id, FAST.pollMs * 3)).toEqual({ status: 'pending' });
      expect(calls).toEqual([]);
      expect(await outbox.entries()).toMatchObject([{ id, state: 'pending', leaseOwner: null, attempts: 0 }]);
      await outbox.start();
      await waitUntil('the queued entry to be delivered', () => applied.length === 1);
      expect(titlesOf(applied)).toEqual(['queued']);
    });
  });

  describe('handleBatch', () => {
    const BATCH_TOPIC = 'book.update.batch';
    /** The items of every call the batch handler got. */
    let handed: BatchItem<Change>[][];
    /** Throws instead of delivering, while set (the whole call fails). */
    let callFails: AppError | undefined;

    /** A batch handler over the real receiver: one Update per item, with the item's metadata; a refused item is answered with its error. */
    function batchOutbox(options: Partial<OutboxOptions> = {}): Outbox {
      const outbox = new Outbox(sequelize, { logger, ...FAST, ...options });
      outbox.handleBatch(BATCH_TOPIC, async (items: readonly BatchItem<Change>[]) => {
        handed.push([...items]);
        if (callFails) throw callFails;
        return Promise.all(items.map(async ({ payload, metadata }) => (await client.Update(payload, { metadata }).catch((err: AppError) => err)) as Change | AppError)).then(
          (answers) => answers.map((answer) => (answer instanceof Error ? answer : answer.title)),
        );
      });
      outboxes.push(outbox);
      return outbox;
    }

    const enqueueAll = (outbox: Outbox, titles: string[]) =>
      atomic(sequelize, (t) => outbox.enqueueMany(t, titles.map((title) => ({ topic: BATCH_TOPIC, payload: { id: title, title }, idempotencyKey: `key-${title}` }))));

    beforeEach(() => {
      handed = [];
      callFails = undefined;
    });

    it('hands entries committed together to one call, each with its key, and settles each on its own answer', async () => {
      behave = (change) => {
        if (change.title === 'refused') throw AppError.notFound('no such book');
      };
      const outbox = batchOutbox();
      await outbox.start();
      const ids = await enqueueAll(outbox, ['one', 'refused', 'two']);
      const outcomes = await Promise.all(ids.map((id) => outbox.waitFor(id, 2000)));
      expect(handed).toHaveLength(1);
      expect(handed[0].map((item) => [item.entry.id, item.entry.idempotencyKey, item.payload.title])).toEqual([
        [ids[0], 'key-one', 'one'],
        [ids[1], 'key-refused', 'refused'],
        [ids[2], 'key-two', 'two'],
      ]);
      expect(outcomes[0]).toEqual({ status: 'delivered', result: 'ack:one' });
      expect(outcomes[1]).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND', message: 'no such book' } });
      expect(outcomes[2]).toEqual({ status: 'delivered', result: 'ack:two' });
      // The metadata a single call needs was there for the handler's per-item calls.
      expect(applied.map(({ title, key, sequence }) => [title, key, sequence])).toEqual([
        ['one', 'key-one', ids[0]],
        ['two', 'key-two', ids[2]],
      ]);
      await waitUntil('the delivered rows to be deleted', async () => (await outbox.entries()).length === 1, 2000);
      expect(await outbox.entries()).toMatchObject([{ id: ids[1], state: 'failed', lastError: 'NOT_FOUND: no such book' }]);
    });

    it('retries only the item answered with a transient error', async () => {
      let refusals = 0;
      behave = (change) => {
        // Not UNAVAILABLE: the client's own retry policy would retry that within the call.
        if (change.title === 'flaky' && refusals++ === 0) throw new AppError('RESOURCE_EXHAUSTED', 'busy for a moment');
      };
      const outbox = batchOutbox();
      await outbox.start();
      const ids = await enqueueAll(outbox, ['steady', 'flaky']);
      expect(await outbox.waitFor(ids[0], 2000)).toEqual({ status: 'delivered', result: 'ack:steady' });
      expect(await outbox.waitFor(ids[1], 2000)).toMatchObject({ status: 'pending', error: { code: 'INTERNAL' } });
      await waitUntil('the flaky item to be delivered on retry', () => applied.some((seen) => seen.title === 'flaky'), 3000);
      expect(handed.map((items) => items.map((item) => item.payload.title))).toEqual([['steady', 'flaky'], ['flaky']]);
      expect(titlesOf(applied)).toEqual(['steady', 'flaky']);
    });

    it('retries every item of a call that failed as a whole, or answered for the wrong number of items', async () => {
      callFails = new AppError('UNAVAILABLE', 'receiver down');
      const outbox = batchOutbox();
      await outbox.start();
      const ids = await enqueueAll(outbox, ['a', 'b', 'c']);
      const outcomes = await Promise.all(ids.map((id) => outbox.waitFor(id, 2000)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['pending', 'pending', 'pending']);
      await waitUntil('the failures to be recorded', async () => (await outbox.entries()).every((entry) => entry.attempts === 1), 2000);
      expect((await outbox.entries()).map((entry) => entry.lastError)).toEqual(Array(3).fill('UNAVAILABLE: receiver down'));
      // A refusal of the call as a whole, even with a permanent status, fails no entry: all are retried.
      callFails = AppError.notFound('no such endpoint here');
      await waitUntil('a refused call to be recorded', async () => (await outbox.entries()).some((entry) => entry.lastError?.includes('NOT_FOUND')), 3000);
      expect((await outbox.entries()).filter((entry) => entry.lastError?.includes('NOT_FOUND'))[0]).toMatchObject({
        state: 'pending',
        lastError: 'INTERNAL: the batch call was refused as a whole (NOT_FOUND: no such endpoint here)',
      });
      callFails = undefined;
      // Retried by the relay (together or not, as the jittered retries fall): each delivered once.
      await waitUntil('all three to be delivered', () => applied.length === 3, 5000);
      expect(titlesOf(applied).sort()).toEqual(['a', 'b', 'c']);
      expect(handed.length).toBeGreaterThanOrEqual(2);
      await waitUntil('the outbox to empty', async () => (await outbox.entries()).length === 0, 2000);

      const miscounting = new Outbox(sequelize, { logger, ...FAST });
      outboxes.push(miscounting);
      miscounting.handleBatch('book.miscount', async () => ['only one answer']);
      await miscounting.start();
      const [x, y] = await atomic(sequelize, (t) => miscounting.enqueueMany(t, [{ topic: 'book.miscount', payload: {} }, { topic: 'book.miscount', payload: {} }]));
      expect(await miscounting.waitFor(x, 1000)).toMatchObject({ status: 'pending' });
      expect(await miscounting.waitFor(y, 1000)).toMatchObject({ status: 'pending' });
      await waitUntil('the miscount to be recorded', async () => (await miscounting.entries()).some((entry) => entry.attempts >= 1), 2000);
      expect((await miscounting.entries())[0].lastError).toBe("INTERNAL: the batch handler of 'book.miscount' answered 1 of 2 entries");
    });

    it('retries an entry whose payload cannot be read alone, and delivers the rest of its batch', async () => {
      const outbox = batchOutbox();
      const ids = await enqueueAll(outbox, ['good', 'corrupt', 'fine']);
      await sequelize.query('UPDATE mgrpc_outbox SET payload = ? WHERE id = ?', { replacements: ['{not json', ids[1]] });
      await outbox.start();
      await waitUntil('the readable entries to be delivered', () => applied.length === 2, 3000);
      expect(titlesOf(applied).sort()).toEqual(['fine', 'good']);
      expect(handed.map((items) => items.map((item) => item.payload.title))).toEqual([['good', 'fine']]);
      await waitUntil('the unreadable entry to be recorded', async () => (await outbox.entries()).some((entry) => entry.id === ids[1] && entry.attempts >= 1), 2000);
      expect((await outbox.entries()).find((entry) => entry.id === ids[1])).toMatchObject({ state: 'pending', lastError: `INTERNAL: outbox entry ${ids[1]} has an unreadable payload` });
    });

    it('counts a batch entry by entry against the concurrency, and stop() waits for a batch in flight', async () => {
      const gate: (() => void)[] = [];
      const slow = new Outbox(sequelize, { logger, ...FAST, concurrency: 2 });
      outboxes.push(slow);
      slow.handleBatch(BATCH_TOPIC, async (items: readonly BatchItem<Change>[]) => {
        handed.push([...items]);
        await new Promise<void>((resolve) => gate.push(resolve));
        return items.map((item) => `ok:${item.payload.title}`);
      });
      const ids = await enqueueAll(slow, ['a', 'b', 'c']);
      await slow.start();
      // Room for two entries: the relay claims two, in one call, and leaves the third.
      await waitUntil('a batch to be handed over', () => handed.length === 1, 2000);
      await sleep(3 * FAST.pollMs);
      expect(handed.map((items) => items.map((item) => item.payload.title))).toEqual([['a', 'b']]);
      const stopped = slow.stop(5000);
      let done = false;
      void stopped.then(() => (done = true));
      await sleep(50);
      expect(done).toBe(false);
      gate.shift()!();
      await stopped;
      // The batch in flight was settled and recorded before stop() returned; the third waits for the next start.
      expect(await slow.waitFor(ids[0], 10)).toEqual({ status: 'delivered', result: 'ok:a' });
      expect(await slow.waitFor(ids[1], 10)).toEqual({ status: 'delivered', result: 'ok:b' });
      expect((await slow.entries()).map((entry) => entry.id)).toEqual([ids[2]]);
    });

    it('refuses an ordering key for a batch topic, and a topic handled both ways', async () => {
      const outbox = batchOutbox();
      await expect(atomic(sequelize, (t) => outbox.enqueue(t, { topic: BATCH_TOPIC, payload: {}, orderingKey: 'book:b1' }))).rejects.toThrow(
        `outbox topic '${BATCH_TOPIC}' is delivered in batches and takes no orderingKey`,
      );
      expect(() => outbox.handle(BATCH_TOPIC, viaGrpc)).toThrow(`outbox topic '${BATCH_TOPIC}' already has a handler`);
      expect(() => outbox.handleBatch(BATCH_TOPIC, async () => [])).toThrow(`outbox topic '${BATCH_TOPIC}' already has a handler`);
      expect(await outbox.entries()).toEqual([]);
    });
  });

  describe('waitFor', () => {
    it('is pending, with the error, when the receiver is down; the entry stays queued', async () => {
      await stopReceiver();
      const outbox = newOutbox();
      await outbox.start();
      const id = await enqueue(outbox, { id: 'b1', title: 'later' }, 'book:b1');
      const outcome = await outbox.waitFor(id, 1000);
      expect(outcome.status).toBe('pending');
      expect(TRANSIENT).toContain(outcome.status === 'pending' && outcome.error?.code);
      await waitUntil('the failed attempt to be recorded', async () => (await outbox.entries())[0]?.attempts >= 1);
      const [entry] = await outbox.entries();
      expect(entry).toMatchObject({ id, state: 'pending' });
      expect(entry.lastError).toMatch(/^(UNAVAILABLE|DEADLINE_EXCEEDED): library gRPC at 127\.0\.0\.1:\d+/);
      expect(await outbox.stats()).toMatchObject([{ topic: TOPIC, state: 'pending', count: 1 }]);
    });

    it('is pending, without an error, when the first attempt outlasts the wait; delivery goes on', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      behave = () => gate;
      const outbox = newOutbox();
      await outbox.start();
      const id = await enqueue(outbox, { id: 'b1', title: 'slow' });
      expect(await outbox.waitFor(id, 50)).toEqual({ status: 'pending' });
      release();
      await waitUntil('the slow entry to be delivered and removed', async () => applied.length === 1 && (await outbox.entries()).length === 0);
    });

    it('is pending at once for a change queued behind a change of its entity that is failing', async () => {
      await stopReceiver();
      const outbox = newOutbox();
      await outbox.start();
      const first = await enqueue(outbox, { id: 'b1', title: 'first' }, 'book:b1');
      expect((await outbox.waitFor(first, 2000)).status).toBe('pending');
      await waitUntil('the failure to be recorded', async () => (await outbox.entries())[0]?.attempts >= 1);
      const second = await enqueue(outbox, { id: 'b1', title: 'second' }, 'book:b1');
      // Not after the wait: the writer is told at once that its change is queued.
      const outcome = await Promise.race([outbox.waitFor(second, 10_000), sleep(1000).then(() => 'still waiting')]);
      expect(outcome).toEqual({ status: 'pending' });
    });

    it.each<ErrorCode>(['NOT_FOUND', 'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'ALREADY_EXISTS'])(
      'is failed on a permanent refusal (%s): the row is kept as failed and no longer blocks its entity',
      async (code) => {
        behave = (change) => {
          if (change.title === 'bad') throw new AppError(code, `refused ${change.title}`);
        };
        const outbox = newOutbox();
        await outbox.start();
        const bad = await enqueue(outbox, { id: 'b1', title: 'bad' }, 'book:b1');
        const outcome = await outbox.waitFor(bad, 1000);
        expect(outcome.status).toBe('failed');
        expect(outcome.status === 'failed' && outcome.error.code).toBe(code);
        expect(outcome.status === 'failed' && outcome.error.message).toBe('refused bad');
        expect(await outbox.entries()).toMatchObject([{ id: bad, state: 'failed', attempts: 1, leaseOwner: null, lastError: `${code}: refused bad` }]);

        const good = await enqueue(outbox, { id: 'b1', title: 'good' }, 'book:b1');
        expect(await outbox.waitFor(good, 1000)).toEqual({ status: 'delivered', result: 'ack:good' });
        // The failed entry was tried once, and is not retried by the relay.
        await sleep(FAST.pollMs * 3);
        expect(titlesOf(calls)).toEqual(['bad', 'good']);
        expect(await outbox.stats()).toMatchObject([{ topic: TOPIC, state: 'failed', count: 1, maxAttempts: 1 }]);

        // Once the cause is fixed, an operator puts it back in the queue.
        behave = () => undefined;
        expect(await outbox.store.requeueFailed(Date.now())).toBe(1);
        outbox.kick();
        await waitUntil('the requeued entry to be delivered', async () => (await outbox.entries()).length === 0);
        expect(titlesOf(applied)).toEqual(['good', 'bad']);
      },
    );
  });

  describe('writeThrough', () => {
    it("returns the write's result with the first outcome of every entry it enqueued", async () => {
      const outbox = newOutbox();
      await outbox.start();
      const other = enqueue(outbox, { id: 'x', title: 'not mine' });
      const { result, outcomes } = await outbox.writeThrough(
        () =>
          atomic(sequelize, async (t) => {
            await outbox.enqueue(t, { topic: TOPIC, payload: { id: 'b1', title: 'one' }, orderingKey: 'book:b1' });
            // Nested, and the same entity: queued behind the first, delivered after it.
            await atomic(sequelize, (t2) => outbox.enqueue(t2, { topic: TOPIC, payload: { id: 'b1', title: 'two' }, orderingKey: 'book:b1' }));
            return 'written';
          }),
        1000,
      );
      await other;
      expect(result).toBe('written');
      expect(outcomes).toEqual([
        { status: 'delivered', result: 'ack:one' },
        { status: 'delivered', result: 'ack:two' },
      ]);
      expect(titlesOf(applied, 'b1')).toEqual(['one', 'two']);
    });

    it('answers with pending outcomes when the receiver is down, keeping the entries', async () => {
      await stopReceiver();
      const outbox = newOutbox();
      await outbox.start();
      const { result, outcomes } = await outbox.writeThrough(
        () => atomic(sequelize, async (t) => (await outbox.enqueue(t, { topic: TOPIC, payload: { id: 'b1', title: 'one' } }), 42)),
        1000,
      );
      expect(result).toBe(42);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0].status).toBe('pending');
      expect(TRANSIENT).toContain(outcomes[0].status === 'pending' && outcomes[0].error?.code);
      expect(await outbox.entries()).toHaveLength(1);
    });

    it('a write that enqueues nothing has no outcomes; a failing write rejects and delivers nothing', async () => {
      const outbox = newOutbox();
      await outbox.start();
      expect(await outbox.writeThrough(async () => 'nothing', 1000)).toEqual({ result: 'nothing', outcomes: [] });
      await expect(
        outbox.writeThrough(
          () =>
            atomic(sequelize, async (t) => {
              await outbox.enqueue(t, { topic: TOPIC, payload: { id: 'b1', title: 'never' }, orderingKey: 'book:b1' });
              throw new AppError('INVALID_ARGUMENT', 'title: must not be empty');
            }),
          1000,
        ),
      ).rejects.toThrow('title: must not be empty');
      const marker = await enqueue(outbox, { id: 'b1', title: 'marker' }, 'book:b1');
      await outbox.waitFor(marker, 1000);
      expect(titlesOf(calls)).toEqual(['marker']);
    });
  });

  describe('retries', () => {
    it('retries with backoff until the receiver comes up again on its port, without any action', async () => {
      const port = receiverPort;
      await stopReceiver();
      const outbox = newOutbox();
      await outbox.start();
      const ids = [
        await enqueue(outbox, { id: 'b1', title: 'one' }, 'book:b1'),
        await enqueue(outbox, { id: 'b2', title: 'two' }),
        await enqueue(outbox, { id: 'b3', title: 'three' }, 'book:b3'),
      ];
      await waitUntil('every entry to have failed', async () => {
        const entries = await outbox.entries();
        return entries.length === 3 && entries.every((e) => e.attempts >= 1 && TRANSIENT.some((code) => e.lastError?.startsWith(code)));
      });
      expect(calls).toEqual([]);
      await startReceiver(port);
      await waitUntil('every entry to be delivered once the receiver is back', async () => applied.length === 3 && (await outbox.entries()).length === 0, 2500);
      expect(applied.map((s) => s.sequence).sort((a, b) => a - b)).toEqual(ids);
      expect(titlesOf(applied).sort()).toEqual(['one', 'three', 'two']);
    });

    it('waits longer after every failed attempt, up to the maximum', async () => {
      const attempts: { attempts: number; at: number }[] = [];
      let duringSecond: Awaited<ReturnType<Outbox['entries']>> = [];
      const outbox = newOutbox({}, async (_change, { entry }) => {
        attempts.push({ attempts: entry.attempts, at: Date.now() });
        if (entry.attempts === 1) duringSecond = await outbox.entries();
        if (entry.attempts < 5) throw new AppError('UNAVAILABLE', `attempt ${entry.attempts} fails`);
        return 'finally';
      });
      await outbox.start();
      const id = await enqueue(outbox, { id: 'b1', title: 'flaky' });
      await waitUntil('the sixth attempt to succeed', async () => (await outbox.entries()).length === 0, 1800);
      expect(attempts.map((a) => a.attempts)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(duringSecond).toMatchObject([{ id, attempts: 1, lastError: 'UNAVAILABLE: attempt 0 fails' }]);
      // An attempt is never made before its backoff has passed: at least half of
      // min(max, initial * 2^attempts) after the previous one (the jitter keeps 50-100 %).
      for (let k = 0; k + 1 < attempts.length; k++) {
        const least = Math.floor(0.5 * Math.min(FAST.backoff.maxMs, FAST.backoff.initialMs * 2 ** k));
        expect(attempts[k + 1].at - attempts[k].at).toBeGreaterThanOrEqual(least);
      }
    });

    it('retryDelay doubles from the initial delay, is capped, and jitters within 50-100 %', () => {
      const backoff = { initialMs: 20, maxMs: 200 };
      const low = [0, 1, 2, 3, 4, 5, 40, 10_000].map((n) => retryDelay(n, backoff, () => 0));
      const high = [0, 1, 2, 3, 4, 5, 40, 10_000].map((n) => retryDelay(n, backoff, () => 1));
      expect(low).toEqual([10, 20, 40, 80, 100, 100, 100, 100]);
      expect(high).toEqual([20, 40, 80, 160, 200, 200, 200, 200]);
      for (let n = 0; n < 12; n++) {
        const d = retryDelay(n, backoff);
        expect(d).toBeGreaterThanOrEqual(low[Math.min(n, 5)]);
        expect(d).toBeLessThanOrEqual(high[Math.min(n, 5)]);
      }
    });

    it('outboxOptionsFromEnv reads MGRPC_OUTBOX_* with defaults, and rejects bad values', () => {
      const options = outboxOptionsFromEnv({ MGRPC_OUTBOX_POLL_MS: '50', MGRPC_OUTBOX_INITIAL_BACKOFF_MS: '20', MGRPC_INBOX_RETENTION_HOURS: '2' }, logger);
      expect(options).toMatchObject({ pollMs: 50, leaseMs: 15_000, backoff: { initialMs: 20, maxMs: 5000 }, concurrency: 64, inboxRetentionMs: 2 * 3_600_000 });
      expect(() => outboxOptionsFromEnv({ MGRPC_OUTBOX_LEASE_MS: 'soon' }, logger)).toThrow("MGRPC_OUTBOX_LEASE_MS must be a positive integer, got 'soon'");
    });
  });

  describe('ordering', () => {
    it("delivers one entity's changes one at a time, in commit order, after the receiver is back", async () => {
      const port = receiverPort;
      await stopReceiver();
      const outbox = newOutbox();
      await outbox.start();
      for (let i = 1; i <= 8; i++) {
        await enqueue(outbox, { id: 'a', title: `a${i}` }, 'book:a');
        await enqueue(outbox, { id: 'b', title: `b${i}` }, 'book:b');
      }
      await waitUntil('the first change of each entity to have failed', async () => {
        const entries = await outbox.entries();
        return entries.filter((e) => e.attempts > 0).length >= 2;
      });
      // Only the oldest change of an entity is ever tried while it is pending.
      expect((await outbox.entries()).filter((e) => e.attempts > 0).map((e) => e.orderingKey)).toEqual(['book:a', 'book:b']);
      await startReceiver(port);
      await waitUntil('all 16 changes to arrive', async () => applied.length === 16 && (await outbox.entries()).length === 0, 2500);
      expect(titlesOf(applied, 'a')).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']);
      expect(titlesOf(applied, 'b')).toEqual(['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8']);
      expect(calls).toHaveLength(16);
      expect(maxInProgress).toBe(1);
    });

    it('an entity held back by failures does not block other entities or unordered entries', async () => {
      let aReady = false;
      behave = (change) => {
        if (change.id === 'a' && !aReady) throw new AppError('UNAVAILABLE', 'a is not ready');
      };
      const outbox = newOutbox();
      await outbox.start();
      const a1 = await enqueue(outbox, { id: 'a', title: 'a1' }, 'book:a');
      await enqueue(outbox, { id: 'b', title: 'b1' }, 'book:b');
      const a2 = await enqueue(outbox, { id: 'a', title: 'a2' }, 'book:a');
      await enqueue(outbox, { id: 'b', title: 'b2' }, 'book:b');
      await enqueue(outbox, { id: 'c', title: 'c1' });
      await enqueue(outbox, { id: 'b', title: 'b3' }, 'book:b');
      await waitUntil('b and c to arrive while a fails', async () => applied.length === 4 && (await outbox.entries())[0]?.attempts >= 1);
      expect(titlesOf(applied, 'b')).toEqual(['b1', 'b2', 'b3']);
      expect(titlesOf(applied, 'c')).toEqual(['c1']);
      // a2 waits behind a1, untried.
      expect(titlesOf(calls, 'a').every((t) => t === 'a1')).toBe(true);
      const entries = await outbox.entries();
      expect(entries.map((e) => e.id)).toEqual([a1, a2]);
      expect(entries[0].attempts).toBeGreaterThanOrEqual(1);
      expect(entries[1].attempts).toBe(0);

      aReady = true;
      await waitUntil('a to arrive in order once it is accepted', () => applied.length === 6);
      expect(titlesOf(applied, 'a')).toEqual(['a1', 'a2']);
    });
  });

  describe('leases', () => {
    it("delivers an entry leased by a dead relay once that relay's lease has run out", async () => {
      let orphanAt = 0;
      behave = (change) => {
        if (change.title === 'orphan') orphanAt = Date.now();
      };
      const outbox = newOutbox();
      await outbox.start();
      const leaseMs = 300;
      const now = Date.now();
      const [orphan] = await atomic(sequelize, (t) =>
        outbox.store.insert(
          [{ topic: TOPIC, payload: JSON.stringify({ id: 'b1', title: 'orphan' }), idempotencyKey: 'orphan', orderingKey: 'book:b1', leaseOwner: 'dead-relay', leaseUntil: now + leaseMs, now }],
          t,
        ),
      );
      // A newer change of the same entity waits for the orphan.
      const next = await enqueue(outbox, { id: 'b1', title: 'next' }, 'book:b1');
      expect(await outbox.entries()).toMatchObject([
        { id: orphan, leaseOwner: 'dead-relay' },
        { id: next, leaseOwner: null },
      ]);
      await waitUntil('both entries to be delivered', () => applied.length === 2);
      expect(titlesOf(applied)).toEqual(['orphan', 'next']);
      expect(applied[0].key).toBe('orphan');
      expect(calls).toHaveLength(2);
      // Not taken before the dead relay's lease ended.
      expect(orphanAt).toBeGreaterThan(now + leaseMs);
    });

    it('stop() during a look for due entries waits for it, and nothing is claimed or delivered after stop', async () => {
      // An entry due for any relay: written by a relay that is not running (so not delivered at once).
      const writer = newOutbox();
      const id = await enqueue(writer, { id: 'b1', title: 'after stop' }, 'book:b1');
      const relay = newOutbox({ pollMs: 60_000 });
      // The look is the real read, answered a little late, so that stop() arrives while it is under way.
      let looking!: () => void;
      const lookStarted = new Promise<void>((resolve) => {
        looking = resolve;
      });
      const read = relay.store.anyDue.bind(relay.store);
      relay.store.anyDue = async (now) => {
        looking();
        await sleep(200);
        return read(now);
      };
      await relay.start();
      await lookStarted;
      await relay.stop(5000);
      await sleep(100);
      expect(await relay.entries()).toMatchObject([{ id, leaseOwner: null, state: 'pending', attempts: 0 }]);
      expect(calls).toEqual([]);
    });

    it("stop() gives back this relay's leases, so another relay takes over at once", async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = false;
      const first = newOutbox({ leaseMs: 60_000 }, async () => {
        started = true;
        await gate;
        return 'late';
      });
      await first.start();
      const id = await enqueue(first, { id: 'b1', title: 'handed over' }, 'book:b1');
      await waitUntil('the first relay to be delivering', () => started);
      expect(await first.entries()).toMatchObject([{ id, leaseOwner: first.owner, state: 'pending' }]);

      await first.stop(50);
      expect(await first.entries()).toMatchObject([{ id, leaseOwner: null, state: 'pending' }]);

      // A second relay (another process) on the same file: the 60 s lease is no obstacle.
      const second = newOutbox({ leaseMs: 60_000 }, viaGrpc, await openShared());
      await second.start();
      await waitUntil('the second relay to deliver the entry', async () => applied.length === 1 && (await second.entries()).length === 0);
      expect(titlesOf(applied)).toEqual(['handed over']);

      // The first relay's stuck attempt may still finish (at least once); it records nothing harmful.
      release();
      expect(await first.waitFor(id, 1000)).toEqual({ status: 'delivered', result: 'late' });
      expect(await second.entries()).toEqual([]);
    });

    it('two relays on one database deliver every entry exactly once, each entity in order', async () => {
      const other = await openShared();
      const deliveries = new Map<number, number>();
      const order = new Map<string, number[]>();
      const record: Deliver<Change> = async (change, { entry }) => {
        deliveries.set(entry.id, (deliveries.get(entry.id) ?? 0) + 1);
        const key = entry.orderingKey ?? 'none';
        order.set(key, [...(order.get(key) ?? []), entry.id]);
        await sleep(Math.floor(Math.random() * 4));
        return change.title;
      };
      const relays = [newOutbox({ pollMs: 20, leaseMs: 30_000 }, record), newOutbox({ pollMs: 20, leaseMs: 30_000 }, record, other)];
      await Promise.all(relays.map((r) => r.start()));
      const ids: number[] = [];
      const total = 40;
      await Promise.all(
        relays.map(async (relay, r) => {
          for (let i = r; i < total; i += 2) {
            const key = i % 5 === 0 ? undefined : `book:${i % 4}`;
            ids.push(await enqueue(relay, { id: String(i % 4), title: `change ${i}` }, key));
          }
        }),
      );
      await waitUntil(
        'every entry to be delivered',
        async () => deliveries.size === total && (await relays[0].entries()).length === 0,
        1800,
      );
      expect([...deliveries.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
      expect([...deliveries.values()].every((count) => count === 1)).toBe(true);
      for (const [key, sequence] of order) {
        if (key !== 'none') expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      }
    });
  });
});
