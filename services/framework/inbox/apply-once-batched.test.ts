/**
 * applyOnceBatched on a real database (a SQLite file, or a fresh PostgreSQL database), its
 * handler called concurrently with the metadata an outbox sends: concurrent calls are
 * applied in batches, each key once (also when it comes twice in one batch, or again after
 * it was applied), every caller gets its own answer, a refused request records nothing and
 * does not hold back the others, and calls without a key record nothing.
 */
import * as grpc from '@grpc/grpc-js';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { atomic } from '../db/atomic.js';
import { openDatabase } from '../db/connect.js';
import { migrate, type Migration } from '../db/migrations.js';
import { sqlRunner } from '../db/sql.js';
import { AppError } from '../errors.js';
import type { CallContext } from '../grpc/define-service.js';
import { DIALECTS, TestDatabases } from '../../../test/support/databases.js';
import { applyOnceBatched } from './apply-once-batched.js';
import { IDEMPOTENCY_KEY } from '../sync/metadata.js';
import { INBOX_TABLE, outboxMigration } from '../sync/tables.js';

const counters: Migration = {
  name: '0001-counters',
  async up({ queryInterface, DataTypes }) {
    await queryInterface.createTable('counters', {
      name: { type: DataTypes.STRING(50), primaryKey: true },
      value: { type: DataTypes.INTEGER, allowNull: false },
    });
  },
  async down({ queryInterface }) {
    await queryInterface.dropTable('counters');
  },
};

interface Add {
  counter: string;
}

const databases = new TestDatabases('mgrpc-batched-');
let sequelize: Sequelize;
/** The sizes of the batches applyMany was given. */
let batches: number[];

function call(key?: string): CallContext {
  const metadata = new grpc.Metadata();
  if (key !== undefined) metadata.set(IDEMPOTENCY_KEY, key);
  return { method: '/test.Counters/Add', metadata, peer: 'test', signal: new AbortController().signal, countItem: () => undefined };
}

/** Adds one to the named counter per request; each caller gets the value its own add made. */
function counterHandler() {
  const sql = sqlRunner(sequelize);
  return applyOnceBatched({ sequelize }, async (requests: Add[], transaction: Transaction | undefined) => {
    batches.push(requests.length);
    const apply = async (t: Transaction) => {
      const answers: ({ value: number } | AppError)[] = [];
      for (const { counter } of requests) {
        if (counter === 'missing') {
          answers.push(AppError.notFound('no counter named missing'));
          continue;
        }
        const [row] = await sql.all<{ value: number }>('UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value', [counter], t);
        answers.push({ value: Number(row.value) });
      }
      return answers;
    };
    return transaction ? apply(transaction) : atomic(sequelize, apply);
  });
}

const valueOf = async (name: string) =>
  Number((await sequelize.query<{ value: number }>('SELECT value FROM counters WHERE name = ?', { replacements: [name], type: QueryTypes.SELECT }))[0].value);
const inboxKeys = async () =>
  (await sequelize.query<{ key: string }>(`SELECT key FROM ${INBOX_TABLE} ORDER BY key`, { type: QueryTypes.SELECT })).map((row) => row.key);

describe.each(DIALECTS)('applyOnceBatched on %s', (dialect) => {
  beforeEach(async () => {
    databases.start(dialect);
    sequelize = await openDatabase(await databases.url('batched.sqlite3'));
    await migrate(sequelize, [outboxMigration, counters]);
    await sequelize.query("INSERT INTO counters (name, value) VALUES ('likes', 0), ('other', 100)");
    batches = [];
  });

  afterEach(async () => {
    await sequelize.close();
    await databases.cleanup();
  });

  it('applies 200 concurrent keyed calls in batches, each once, each caller with its own value', async () => {
    const add = counterHandler();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => add({ counter: 'likes' }, call(`like-${i}`))));
    expect(await valueOf('likes')).toBe(200);
    expect(answers.map((answer) => answer.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect((await inboxKeys()).length).toBe(200);
    // They were batched: fewer applications than calls.
    expect(batches.length).toBeLessThan(200);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
  });

  it('applies a key once when it comes twice in one batch, and again later: every caller gets the recorded answer', async () => {
    const add = counterHandler();
    const first = await Promise.all([add({ counter: 'likes' }, call('a')), add({ counter: 'likes' }, call('b')), add({ counter: 'likes' }, call('a'))]);
    expect(await valueOf('likes')).toBe(2);
    expect(first[0]).toEqual(first[2]);
    // A redelivery after the commit: the recorded answer, nothing applied.
    const again = await add({ counter: 'likes' }, call('a'));
    expect(again).toEqual(first[0]);
    expect(await valueOf('likes')).toBe(2);
    expect(await inboxKeys()).toEqual(['a', 'b']);
  });

  it('refuses one request of a batch with its error, records nothing for it and applies the rest', async () => {
    const add = counterHandler();
    const results = await Promise.allSettled([
      add({ counter: 'likes' }, call('k1')),
      add({ counter: 'missing' }, call('k2')),
      add({ counter: 'other' }, call('k3')),
      add({ counter: 'missing' }, call('k2')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    const refusal = (results[1] as PromiseRejectedResult).reason as AppError;
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal.code).toBe('NOT_FOUND');
    expect(await valueOf('likes')).toBe(1);
    expect(await valueOf('other')).toBe(101);
    expect(await inboxKeys()).toEqual(['k1', 'k3']);
  });

  it('refuses a call whose idempotency key metadata the inbox cannot hold, applying nothing, and serves the next', async () => {
    const add = counterHandler();
    await expect(add({ counter: 'likes' }, call('k'.repeat(201)))).rejects.toMatchObject({ grpcStatus: grpc.status.INVALID_ARGUMENT, message: 'mgrpc-idempotency-key metadata is longer than 200 characters' });
    expect(batches).toEqual([]);
    expect(await add({ counter: 'likes' }, call('k'.repeat(200)))).toEqual({ value: 1 });
  });

  it('applies calls without a key as they come, with no inbox record', async () => {
    const add = counterHandler();
    await Promise.all(Array.from({ length: 30 }, () => add({ counter: 'likes' }, call())));
    expect(await valueOf('likes')).toBe(30);
    expect(await inboxKeys()).toEqual([]);
  });

  it('many(): applies the calls of one message in one batch, keys from the message, each answered on its own', async () => {
    const add = counterHandler();
    const answers = await add.many([
      { request: { counter: 'likes' }, key: 'm1' },
      { request: { counter: 'missing' }, key: 'm2' },
      { request: { counter: 'likes' }, key: 'm1' },
      { request: { counter: 'other' }, key: 'x'.repeat(201) },
      { request: { counter: 'other' }, key: '' },
      { request: { counter: 'likes' }, key: 'm3' },
      { request: { counter: 'likes' }, key: 'nul\u0000key' },
    ]);
    // One batch for the calls with usable keys; the over-long key refused before it.
    expect(batches).toEqual([4]);
    expect(answers[0]).toEqual({ value: 1 });
    expect((answers[1] as AppError).code).toBe('NOT_FOUND');
    expect(answers[2]).toEqual({ value: 1 });
    expect(answers[3]).toBeInstanceOf(AppError);
    expect((answers[3] as AppError).code).toBe('INVALID_ARGUMENT');
    expect((answers[3] as AppError).message).toBe('idempotency key of item 4 is longer than 200 characters');
    // An empty key is no key: applied as it comes, nothing recorded.
    expect(answers[4]).toEqual({ value: 101 });
    expect(answers[5]).toEqual({ value: 2 });
    // A key metadata could not carry (PostgreSQL refuses a NUL in text): refused alone, before the batch.
    expect((answers[6] as AppError).message).toBe('idempotency key of item 7 may hold only printable ASCII characters');
    expect(await valueOf('likes')).toBe(2);
    expect(await valueOf('other')).toBe(101);
    expect(await inboxKeys()).toEqual(['m1', 'm3']);

    // Redelivered in a later message, or as a single call with the key in metadata: the recorded answers.
    expect(await add.many([{ request: { counter: 'likes' }, key: 'm3' }, { request: { counter: 'likes' }, key: 'm4' }])).toEqual([{ value: 2 }, { value: 3 }]);
    expect(await add({ counter: 'likes' }, call('m1'))).toEqual({ value: 1 });
    expect(await valueOf('likes')).toBe(3);
    expect(await add.many([])).toEqual([]);
  });

  it('fails the whole batch when applyMany throws, and applies nothing of it', async () => {
    const failing = applyOnceBatched({ sequelize }, async (requests: Add[], transaction: Transaction | undefined) => {
      await sqlRunner(sequelize).all("UPDATE counters SET value = value + 1 WHERE name = 'likes' RETURNING value", [], transaction);
      throw new AppError('UNAVAILABLE', `lost the database after ${requests.length} writes`);
    });
    const results = await Promise.allSettled([failing({ counter: 'likes' }, call('x1')), failing({ counter: 'likes' }, call('x2'))]);
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(await valueOf('likes')).toBe(0);
    expect(await inboxKeys()).toEqual([]);
  });
});
