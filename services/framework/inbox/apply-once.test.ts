/**
 * applyOnce on a real grpc-js server over a real database (a SQLite file in a temp dir, or a fresh PostgreSQL database), called with the
 * metadata an outbox sends: one application per idempotency key, sequence order per
 * entity and origin, a final change (a delete) ends the entity, failures record nothing,
 * bad metadata is refused, old keys are pruned. Then end to end with a real Outbox: a
 * receiver slower than the sender's deadline still applies a change exactly once.
 */

import * as grpc from '@grpc/grpc-js';
import { QueryTypes, type Sequelize } from 'sequelize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { atomic } from '../db/atomic.js';
import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrations.js';
import { AppError } from '../errors.js';
import { createAction, destroyAction, listAction, retrieveAction, updateAction } from '../grpc/actions.js';
import { createClient, type CallOptions } from '../grpc/clients.js';
import { defineService, type CallContext } from '../grpc/define-service.js';
import { startGrpcServer, type RunningGrpcServer } from '../grpc/server.js';
import { bookMigrations, bookResource, defineBook } from '../../../test/support/book.js';
import { loadBookService, recordingLogger } from '../../../test/support/library.js';
import { IDEMPOTENCY_KEY, ORIGIN, SEQUENCE } from '../sync/metadata.js';
import { INBOX_TABLE, ORDERING_TABLE, outboxMigration } from '../sync/tables.js';
import { Outbox } from '../outbox/outbox.js';
import { applyOnce, pruneInbox } from './apply-once.js';
import { sleep, waitUntil } from '../../../test/support/wait.js';
import { DIALECTS, TestDatabases } from '../../../test/support/databases.js';

const BookService = loadBookService();
const definition = BookService.service;
const logger = recordingLogger();

interface BookMessage {
  id: string;
  title: string;
  isbn?: string;
  pages?: string;
  createdAt?: string;
}

const databases = new TestDatabases('mgrpc-receiver-');

let sequelize: Sequelize;
let server: RunningGrpcServer;
let target: string;
let client: grpc.Client & Record<string, any>;
const opened: Sequelize[] = [];
const outboxes: Outbox[] = [];
/** Clients to close once the outboxes using them have stopped. */
const closeLater: (() => void)[] = [];
/** How often each wrapped handler really ran (inside applyOnce). */
let runs: { Create: number; Update: number; Destroy: number };
/** Update calls that reached the server (before applyOnce). */
let updateCalls: number;
/** The next Create fails after its write (which must then roll back). */
let failNextCreate: boolean;
/** How long the next Update handler takes before writing. */
let slowNextUpdateMs: number;



async function openDb(name: string): Promise<Sequelize> {
  const db = await openDatabase(await databases.url(name));
  opened.push(db);
  await migrate(db, [outboxMigration, ...bookMigrations]);
  return db;
}

function receiverService(db: Sequelize) {
  const books = bookResource(defineBook(db));
  const byBook = (request: { id?: string }) => (request.id ? `book:${request.id}` : undefined);
  const unused = async () => {
    throw new AppError('UNIMPLEMENTED', 'not used by these tests');
  };
  const update = applyOnce({ sequelize: db, orderingKey: byBook }, async (request: BookMessage, call: CallContext) => {
    runs.Update += 1;
    const slow = slowNextUpdateMs;
    slowNextUpdateMs = 0;
    // Slower than the caller's deadline: the caller gives up and retries meanwhile.
    if (slow > 0) await sleep(slow);
    return updateAction(books)(request as never, call);
  });
  return defineService(definition, {
    List: listAction(books),
    Retrieve: retrieveAction(books),
    PartialUpdate: unused,
    Explode: unused,
    Create: applyOnce({ sequelize: db }, async (request: BookMessage, call: CallContext) => {
      runs.Create += 1;
      const created = await createAction(books)(request as never, call);
      if (failNextCreate) {
        failNextCreate = false;
        throw new AppError('UNAVAILABLE', 'failed after the write');
      }
      return created;
    }),
    Update: async (request: BookMessage, call: CallContext) => {
      updateCalls += 1;
      return update(request, call);
    },
    Destroy: applyOnce({ sequelize: db, orderingKey: byBook, final: true }, async (request: { id: string }, call: CallContext) => {
      runs.Destroy += 1;
      return destroyAction(books)(request as never, call);
    }),
  });
}

interface Meta {
  key?: string;
  sequence?: string | number;
  origin?: string;
}

function metadataOf({ key, sequence, origin }: Meta): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (key !== undefined) metadata.set(IDEMPOTENCY_KEY, key);
  if (sequence !== undefined) metadata.set(SEQUENCE, String(sequence));
  if (origin !== undefined) metadata.set(ORIGIN, origin);
  return metadata;
}

/** A raw grpc-js call (no client retries): resolves the response or rejects the ServiceError. */
function call<T = BookMessage>(method: string, request: object, meta: Meta = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](request, metadataOf(meta), { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  return promise.then(
    () => expect.unreachable('expected the call to fail'),
    (err: grpc.ServiceError) => err,
  );
}

const title = async (id: string) => (await call('Retrieve', { id })).title;
const inboxKeys = async () =>
  (await sequelize.query<{ key: string }>(`SELECT key FROM ${INBOX_TABLE} ORDER BY key`, { type: QueryTypes.SELECT })).map((r) => r.key);
// `final` as 0/1 on each dialect (PostgreSQL has real booleans).
const orderingRows = async () =>
  (await sequelize.query<{ key: string; sequence: number; final: number | boolean }>(`SELECT key, sequence, final FROM ${ORDERING_TABLE} ORDER BY key`, { type: QueryTypes.SELECT })).map(
    (row) => ({ ...row, final: Number(row.final) }),
  );

describe.each(DIALECTS)('on %s', (each) => {
  beforeEach(async () => {
    runs = { Create: 0, Update: 0, Destroy: 0 };
    updateCalls = 0;
    failNextCreate = false;
    slowNextUpdateMs = 0;
    databases.start(each);
    sequelize = await openDb('receiver.sqlite3');
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [receiverService(sequelize)], logger });
    target = `127.0.0.1:${server.port}`;
    client = new BookService(target, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
  });

  afterEach(async () => {
    await Promise.all(outboxes.splice(0).map((o) => o.stop(1000)));
    for (const close of closeLater.splice(0)) close();
    client.close();
    await server.close(1000);
    await Promise.all(opened.splice(0).map((db) => db.close()));
    await databases.cleanup();
  });

  describe('applyOnce', () => {
    it('runs the handler once per idempotency key; a repeat gets the recorded response', async () => {
      const first = await call('Create', { title: 'Dune' }, { key: 'create-1' });
      const again = await call('Create', { title: 'Dune' }, { key: 'create-1' });
      expect(runs.Create).toBe(1);
      expect(again).toEqual(first);
      expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await call<{ items: BookMessage[] }>('List', { limit: 10 })).items.map((b) => b.title)).toEqual(['Dune']);
      // Another key is another change.
      await call('Create', { title: 'Dune' }, { key: 'create-2' });
      expect(runs.Create).toBe(2);
      expect(await inboxKeys()).toEqual(['create-1', 'create-2']);
    });

    it('applies concurrent deliveries of one change once, and answers each with the same response', async () => {
      const responses = await Promise.all(Array.from({ length: 5 }, () => call('Create', { title: 'Emma' }, { key: 'same-change' })));
      expect(runs.Create).toBe(1);
      for (const response of responses) expect(response).toEqual(responses[0]);
      expect((await call<{ items: BookMessage[] }>('List', { limit: 10 })).items).toHaveLength(1);
    });

    it('ignores a change with a lower or equal sequence than the newest applied to its entity', async () => {
      const { id } = await call('Create', { title: 'original' });
      await call('Update', { id, title: 'five' }, { key: 'u5', sequence: 5, origin: 'sender-a' });
      expect(await title(id)).toBe('five');
      expect(runs.Update).toBe(1);

      const older = await call('Update', { id, title: 'three' }, { key: 'u3', sequence: 3, origin: 'sender-a' });
      const equal = await call('Update', { id, title: 'five again' }, { key: 'u5b', sequence: 5, origin: 'sender-a' });
      // Acknowledged (the sender stops retrying) with an empty response, and not applied.
      expect(older.id).toBe('');
      expect(equal.id).toBe('');
      expect(runs.Update).toBe(1);
      expect(await title(id)).toBe('five');
      // The stale change is remembered too: redelivered, it still does nothing.
      await call('Update', { id, title: 'three' }, { key: 'u3', sequence: 3, origin: 'sender-a' });
      expect(runs.Update).toBe(1);

      const newer = await call('Update', { id, title: 'six' }, { key: 'u6', sequence: 6, origin: 'sender-a' });
      expect(newer).toMatchObject({ id, title: 'six' });
      expect(runs.Update).toBe(2);
      expect(await orderingRows()).toEqual([{ key: `sender-a/book:${id}`, sequence: 6, final: 0 }]);
    });

    it('after a final change (a delete) ignores every later change of the entity', async () => {
      const { id } = await call('Create', { title: 'doomed' });
      const { id: other } = await call('Create', { title: 'survivor' });
      await call('Update', { id, title: 'updated' }, { key: 'u1', sequence: 1, origin: 'sender-a' });
      await call('Destroy', { id }, { key: 'd2', sequence: 2, origin: 'sender-a' });
      expect(runs.Destroy).toBe(1);
      expect((await failure(call('Retrieve', { id }))).code).toBe(grpc.status.NOT_FOUND);

      // Later changes are acknowledged, not applied: no NOT_FOUND that would fail the sender.
      const late = await call('Update', { id, title: 'too late' }, { key: 'u3', sequence: 3, origin: 'sender-a' });
      expect(late.id).toBe('');
      await call('Destroy', { id }, { key: 'd4', sequence: 4, origin: 'sender-a' });
      expect(runs).toMatchObject({ Update: 1, Destroy: 1 });
      // The delete itself, redelivered, answers what it answered.
      expect(await call('Destroy', { id }, { key: 'd2', sequence: 2, origin: 'sender-a' })).toEqual({});
      expect(runs.Destroy).toBe(1);
      // Other entities are unaffected.
      await call('Update', { id: other, title: 'still here' }, { key: 'u5', sequence: 5, origin: 'sender-a' });
      expect(await title(other)).toBe('still here');
      expect(await orderingRows()).toContainEqual({ key: `sender-a/book:${id}`, sequence: 2, final: 1 });
    });

    it('keeps a separate order per origin (a recreated sender restarts its sequences)', async () => {
      const { id } = await call('Create', { title: 'shared' });
      await call('Update', { id, title: 'a10' }, { key: 'a10', sequence: 10, origin: 'sender-a' });
      await call('Update', { id, title: 'b2' }, { key: 'b2', sequence: 2, origin: 'sender-b' });
      expect(await title(id)).toBe('b2');
      await call('Update', { id, title: 'a9' }, { key: 'a9', sequence: 9, origin: 'sender-a' });
      await call('Update', { id, title: 'b1' }, { key: 'b1', sequence: 1, origin: 'sender-b' });
      expect(await title(id)).toBe('b2');
      expect(runs.Update).toBe(2);
      // No origin at all is one more sender of its own.
      await call('Update', { id, title: 'anonymous' }, { key: 'n1', sequence: 1 });
      expect(await title(id)).toBe('anonymous');
      expect((await orderingRows()).map((r) => r.key)).toEqual([`/book:${id}`, `sender-a/book:${id}`, `sender-b/book:${id}`]);
    });

    it('applies calls without the metadata every time, in the order they come', async () => {
      const { id } = await call('Create', { title: 'plain' });
      await call('Update', { id, title: 'one' });
      await call('Update', { id, title: 'two' });
      await call('Update', { id, title: 'two' });
      expect(runs.Update).toBe(3);
      // A sequence without an idempotency key is not an outbox call either.
      await call('Update', { id, title: 'seq 9' }, { sequence: 9 });
      await call('Update', { id, title: 'seq 1' }, { sequence: 1 });
      expect(runs.Update).toBe(5);
      expect(await title(id)).toBe('seq 1');
      expect(await inboxKeys()).toEqual([]);
      expect(await orderingRows()).toEqual([]);
    });

    it('records nothing when the handler fails: its write rolls back and a retry applies', async () => {
      failNextCreate = true;
      const err = await failure(call('Create', { title: 'flaky' }, { key: 'c1' }));
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      expect(err.details).toBe('failed after the write');
      expect((await call<{ items: BookMessage[] }>('List', { limit: 10 })).items).toEqual([]);
      expect(await inboxKeys()).toEqual([]);

      const created = await call('Create', { title: 'flaky' }, { key: 'c1' });
      expect(runs.Create).toBe(2);
      expect(await call('Create', { title: 'flaky' }, { key: 'c1' })).toEqual(created);
      expect(runs.Create).toBe(2);
      expect((await call<{ items: BookMessage[] }>('List', { limit: 10 })).items.map((b) => b.id)).toEqual([created.id]);
    });

    it('records no sequence for a change that failed, so it is not mistaken for applied', async () => {
      const missing = '3b241101-e2bb-4255-8caf-4136c566a962';
      const err = await failure(call('Update', { id: missing, title: 'nobody' }, { key: 'u7', sequence: 7, origin: 'sender-a' }));
      expect(err.code).toBe(grpc.status.NOT_FOUND);
      expect(await orderingRows()).toEqual([]);
      expect(await inboxKeys()).toEqual([]);
      // Redelivered, it runs (and fails) again rather than being answered from a record.
      expect((await failure(call('Update', { id: missing, title: 'nobody' }, { key: 'u7', sequence: 7, origin: 'sender-a' }))).code).toBe(grpc.status.NOT_FOUND);
      expect(runs.Update).toBe(2);
    });

    it.each(['abc', '-1', '1.5', '99999999999999999999'])('refuses sequence metadata %j with INVALID_ARGUMENT, running nothing', async (sequence) => {
      const { id } = await call('Create', { title: 'x' });
      const err = await failure(call('Update', { id, title: 'bad' }, { key: 'k', sequence, origin: 'sender-a' }));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toBe('mgrpc-sequence metadata must be a non-negative integer');
      expect(runs.Update).toBe(0);
      expect(await inboxKeys()).toEqual([]);
    });

    it('refuses an idempotency key longer than 200 characters', async () => {
      const err = await failure(call('Create', { title: 'x' }, { key: 'k'.repeat(201) }));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toBe('mgrpc-idempotency-key metadata is longer than 200 characters');
      expect(runs.Create).toBe(0);
      await call('Create', { title: 'x' }, { key: 'k'.repeat(200) });
      expect(runs.Create).toBe(1);
    });
  });

  describe('pruneInbox', () => {
    it('removes keys older than the retention; a change pruned away applies again', async () => {
      await call('Create', { title: 'old' }, { key: 'old-key' });
      await call('Create', { title: 'fresh' }, { key: 'fresh-key' });
      expect(await pruneInbox(sequelize, 3_600_000)).toBe(0);
      await atomic(sequelize, (t) =>
        sequelize.query(`UPDATE ${INBOX_TABLE} SET created_at = :old WHERE key = 'old-key'`, { replacements: { old: Date.now() - 2 * 3_600_000 }, transaction: t }),
      );
      expect(await pruneInbox(sequelize, 3_600_000)).toBe(1);
      expect(await inboxKeys()).toEqual(['fresh-key']);
      await call('Create', { title: 'fresh' }, { key: 'fresh-key' });
      expect(runs.Create).toBe(2);
      await call('Create', { title: 'old' }, { key: 'old-key' });
      expect(runs.Create).toBe(3);
    });
  });

  describe('end to end with an outbox', () => {
    const TOPIC = 'book.change';
    type Change = { op: 'update'; book: BookMessage } | { op: 'delete'; book: { id: string } };

    async function sender(deadlineMs: number): Promise<Outbox> {
      const db = await openDb('sender.sqlite3');
      // The library proto is loaded at run time, so its client is untyped.
      const books = createClient(definition, target, { name: 'library gRPC', deadlineMs }) as unknown as Record<'Update' | 'Destroy', (request: object, options: CallOptions) => Promise<unknown>> & {
        close(): void;
      };
      const outbox = new Outbox(db, { logger, pollMs: 50, leaseMs: 5000, backoff: { initialMs: 20, maxMs: 200 } });
      outbox.handle(TOPIC, (change: Change, { metadata }) =>
        change.op === 'delete' ? books.Destroy(change.book, { metadata }) : books.Update(change.book, { metadata }),
      );
      outboxes.push(outbox);
      closeLater.push(() => books.close());
      return outbox;
    }

    const enqueue = (outbox: Outbox, change: Change) =>
      atomic(outbox.sequelize, (t) => outbox.enqueue(t, { topic: TOPIC, payload: change, orderingKey: `book:${change.book.id}` }));

    it('a receiver slower than the deadline applies the change once while the sender retries', async () => {
      const { id } = await call('Create', { title: 'before' });
      const outbox = await sender(150);
      await outbox.start();
      slowNextUpdateMs = 500;
      const entry = await enqueue(outbox, { op: 'update', book: { id, title: 'after' } });
      const first = await outbox.waitFor(entry, 1000);
      expect(first).toMatchObject({ status: 'pending', error: { code: 'DEADLINE_EXCEEDED' } });
      await waitUntil('the change to be acknowledged', async () => (await outbox.entries()).length === 0);
      expect(runs.Update).toBe(1);
      expect(updateCalls).toBeGreaterThanOrEqual(2);
      expect(await title(id)).toBe('after');
      expect(await inboxKeys()).toHaveLength(1);
    });

    it("delivers an entity's update, delete and later update in order; the one after the delete is acknowledged", async () => {
      const { id } = await call('Create', { title: 'v0' });
      const outbox = await sender(1000);
      // Queued while the relay is not running, then all delivered by it.
      await enqueue(outbox, { op: 'update', book: { id, title: 'v1' } });
      await enqueue(outbox, { op: 'delete', book: { id } });
      await enqueue(outbox, { op: 'update', book: { id, title: 'v2' } });
      await outbox.start();
      await waitUntil('all three changes to be acknowledged', async () => (await outbox.entries()).length === 0);
      expect(runs).toMatchObject({ Update: 1, Destroy: 1 });
      expect(updateCalls).toBe(2);
      expect((await failure(call('Retrieve', { id }))).code).toBe(grpc.status.NOT_FOUND);
      expect(await outbox.stats()).toEqual([]);
    });
  });
});
