/**
 * `applyOnceBatched(options, applyMany)`: `applyOnce` for a change that many callers make
 * at once (a like). Calls that arrive while a batch is being written are written together
 * as the next one (`coalesce`; up to eight callers a batch, so the first are answered while
 * the rest are written), in one transaction with their inbox records:
 *
 * - the requests go to `applyMany` in one call, which answers each one (or refuses it with
 *   an AppError: that caller gets the error and nothing is recorded for it);
 * - their inbox records are written with one statement;
 * - a key twice in one batch is applied once (both callers get that answer), and a key
 *   already in `mgrpc_inbox` (a redelivery) is not applied again: its callers get the
 *   recorded answer. The first try assumes there are none and finds out when it writes the
 *   records; if there was one, the batch is rolled back and taken again with the keys
 *   looked up (and, on PostgreSQL, locked) first.
 *
 * So N concurrent deliveries cost two statements and one commit (one UPDATE per product
 * for likes, one INSERT of inbox records) instead of five statements, a savepoint and a
 * share of a commit each. Calls without an idempotency key
 * (the tutorial's clients) are batched too, without inbox records.
 *
 * Changes that must apply in order (an `orderingKey`) use `applyOnce`: a batch does not
 * track per-entity sequences.
 *
 * The handler's `many(calls)` takes requests that arrived together in one message (a batch
 * RPC, each item naming its own idempotency key) into the same batch, answering each.
 *
 * @example
 *   const like = applyOnceBatched({ sequelize }, (requests, transaction) => likeAll(requests.map((r) => r.id), transaction));
 *   LikeProduct: like,
 *   LikeProducts: async ({ likes }) => {
 *     const answers = await like.many(likes.map((l) => ({ request: l, key: l.idempotencyKey })));
 *     return { outcomes: answers.map((a) => (a instanceof AppError ? { error: { code: a.grpcStatus, message: a.message } } : a)) };
 *   },
 */
import type { Sequelize, Transaction } from 'sequelize';

import { atomic } from '../db/atomic.js';
import { coalesce } from '../db/coalesce.js';
import { chunks, sqlRunner, sqlTuples } from '../db/sql.js';
import { AppError } from '../errors.js';
import type { AnsweringUnaryHandler, CallContext, UnaryHandler } from '../grpc/define-service.js';
import { INBOX_TABLE } from '../sync/tables.js';
import { changeLockName, checkedIdempotencyKey, idempotencyKeyOf } from './apply-once.js';

export interface ApplyOnceBatchedOptions {
  sequelize: Sequelize;
  /** The most requests written together (default 64). */
  maxBatch?: number;
  /**
   * The most separate callers written together (default 8; a `many` call is one): the first
   * eight's answers go out while the next batch is written (coalesce.ts). Measured against one
   * batch of up to 64 callers, `mgrpc bench --paths grpc-like --concurrency 16,64` gave 1.28x and
   * 1.35x the bare server instead of 1.10x and 1.16x (2026-12-08, docs/performance.md).
   */
  maxCallers?: number;
}

/**
 * Applies requests together and answers each, in order. `transaction` is open when any of
 * them carries an idempotency key (their inbox records commit with the change); without
 * one, the function opens one if it needs to.
 */
export type ApplyMany<Req, Res> = (requests: Req[], transaction: Transaction | undefined) => Promise<(Res | AppError)[]>;

/** A key of the batch was applied before: roll back and take the batch the careful way. */
class AlreadyRecorded extends Error {}

/** One request of a batch RPC and the idempotency key it names (none: applied as it comes). */
export interface KeyedCall<Req> {
  request: Req;
  key: string | undefined;
}

export interface BatchedHandler<Req, Res> extends AnsweringUnaryHandler<Req, Res> {
  /** Applies requests that came together, in one batch; an answer or a refusal for each, in order. */
  many(calls: readonly KeyedCall<Req>[]): Promise<(Res | AppError)[]>;
}

export function applyOnceBatched<Req, Res>(options: ApplyOnceBatchedOptions, applyMany: ApplyMany<Req, Res>): BatchedHandler<Req, Res> {
  const { sequelize } = options;
  const inbox = sequelize.getQueryInterface().quoteIdentifier(INBOX_TABLE);
  const sql = sqlRunner(sequelize);
  // PostgreSQL applies batches in parallel (several connections, several replicas): two
  // deliveries of one change take turns on the key's lock, and the second then finds the
  // first's record. Locks are taken in key order (the array is sorted), so two batches
  // do not deadlock. SQLite runs one write transaction at a time already.
  const lockKeys =
    sequelize.getDialect() === 'postgres'
      ? (keys: string[], t: Transaction) =>
          sql.all('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) AS locked FROM unnest(?::text[]) AS k', [keys.map(changeLockName) as never], t)
      : undefined;

  const answered = (results: (Res | AppError)[], n: number): (Res | AppError)[] => {
    if (results.length !== n) throw new Error(`applyOnceBatched: applyMany answered ${results.length} of ${n} requests`);
    return results;
  };

  /**
   * Applies the batch and records its keys. Optimistic (the usual case: nothing in the batch
   * was applied before): no lookups or locks first; the records are written with ON CONFLICT
   * DO NOTHING, and a key found recorded already (a redelivery) throws AlreadyRecorded, which
   * rolls the batch back to be taken again carefully: keys locked (PostgreSQL) and looked up
   * first, recorded ones answered from the inbox.
   */
  const applyKeyed = async (calls: KeyedCall<Req>[], transaction: Transaction, optimistic: boolean): Promise<(Res | AppError)[]> => {
    const recorded = new Map<string, Res>();
    if (!optimistic) {
      const keys = [...new Set(calls.flatMap((call) => (call.key === undefined ? [] : [call.key])))].sort();
      if (lockKeys) await lockKeys(keys, transaction);
      for (const chunk of chunks(keys)) {
        const rows = await sql.all<{ key: string; response: string }>(`SELECT key, response FROM ${inbox} WHERE key IN (${sqlTuples(chunk.length)})`, chunk, transaction);
        for (const row of rows) recorded.set(row.key, JSON.parse(row.response) as Res);
      }
    }
    // What is applied now: calls without a key, and the first call of each unrecorded key.
    const fresh: number[] = [];
    const claimed = new Set<string>();
    calls.forEach((call, i) => {
      if (call.key === undefined) fresh.push(i);
      else if (!recorded.has(call.key) && !claimed.has(call.key)) {
        claimed.add(call.key);
        fresh.push(i);
      }
    });
    const results = fresh.length === 0 ? [] : answered(await applyMany(fresh.map((i) => calls[i].request), transaction), fresh.length);
    const answers = new Array<Res | AppError | undefined>(calls.length);
    const records: [string, string, number][] = [];
    const now = Date.now();
    fresh.forEach((i, k) => {
      const result = results[k];
      answers[i] = result;
      const key = calls[i].key;
      if (key === undefined) return;
      if (result instanceof AppError) recorded.delete(key);
      else {
        recorded.set(key, result);
        records.push([key, JSON.stringify(result ?? {}), now]);
      }
    });
    // In key order, so two PostgreSQL batches wait for each other's keys in the same order.
    records.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const chunk of chunks(records)) {
      const written = await sql.all(
        `INSERT INTO ${inbox} (key, response, created_at) VALUES ${sqlTuples(chunk.length, 3)} ON CONFLICT (key) DO NOTHING RETURNING key`,
        chunk.flat(),
        transaction,
      );
      if (written.length < chunk.length) {
        if (optimistic) throw new AlreadyRecorded();
        // Locked and looked up, yet recorded meanwhile: a receiver that does not take the
        // key's lock. The sender retries and receives the recorded answer.
        throw new AppError('UNAVAILABLE', 'the same change is being applied concurrently; retry');
      }
    }
    // A key's later calls in this batch (and keys applied before) get the recorded answer;
    // a refused first call leaves its duplicates refused the same way.
    return calls.map((call, i) => {
      if (answers[i] !== undefined) return answers[i];
      const key = call.key!;
      return recorded.get(key) ?? answers[calls.findIndex((other) => other.key === key)]!;
    });
  };

  const applyKeyedBatch = async (calls: KeyedCall<Req>[]): Promise<(Res | AppError)[]> => {
    try {
      return await atomic(sequelize, (transaction) => applyKeyed(calls, transaction, true));
    } catch (err) {
      if (!(err instanceof AlreadyRecorded)) throw err;
      return atomic(sequelize, (transaction) => applyKeyed(calls, transaction, false));
    }
  };

  // `then`s rather than async functions on the path of every call: on Node 20 every promise
  // runs AsyncLocalStorage's hooks, and these are made per call or per batch.
  const run = coalesce(
    (calls: KeyedCall<Req>[]): Promise<(Res | AppError)[]> =>
      calls.every((call) => call.key === undefined)
        ? applyMany(
            calls.map((call) => call.request),
            undefined,
          ).then((results) => answered(results, calls.length))
        : applyKeyedBatch(calls),
    { maxBatch: options.maxBatch ?? 64, maxCallers: options.maxCallers ?? 8 },
  );

  // The server answers through `answer` (no promise per call, grpc/define-service.ts); the
  // function form is for callers that want a promise.
  const answer = (request: Req, call: CallContext, respond: (response: Res) => void, fail: (error: unknown) => void): void => {
    let key: string | undefined;
    try {
      key = idempotencyKeyOf(call);
    } catch (err) {
      fail(err);
      return;
    }
    // A refusal is the caller's error (the gRPC layer maps it to its status).
    run.enqueue({ request, key }, (result) => (result instanceof AppError ? fail(result) : respond(result)), fail);
  };
  const one: UnaryHandler<Req, Res> = (request, call) => new Promise<Res>((resolve, reject) => answer(request, call, resolve, reject));
  const many = async (calls: readonly KeyedCall<Req>[]): Promise<(Res | AppError)[]> => {
    // A key the inbox cannot hold refuses its own call only.
    const checked = calls.map((call, i): KeyedCall<Req> | AppError => {
      try {
        return { request: call.request, key: checkedIdempotencyKey(call.key, `idempotency key of item ${i + 1}`) };
      } catch (err) {
        return AppError.from(err);
      }
    });
    const valid = checked.filter((call): call is KeyedCall<Req> => !(call instanceof AppError));
    const answers = await run.many(valid);
    let next = 0;
    return checked.map((call) => (call instanceof AppError ? call : answers[next++]));
  };
  return Object.assign(one, { answer, many });
}
