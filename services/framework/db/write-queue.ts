/**
 * SQLite allows one writer at a time, and node-sqlite3 waits for the write lock by
 * sleeping inside libuv's thread pool (4 threads). With dozens of concurrent transactions
 * in one process, the waiters occupy every thread, the lock holder cannot run its next
 * statement, and the process stalls until busy timeouts expire. So transactions on a
 * SQLite database are queued here, in-process: at most one is open per process, and
 * busy_timeout is left to arbitrate between processes (the REST and gRPC servers of a
 * service share its file).
 *
 * Group commit: transactions that queued up while one was running are run together in
 * one SQLite transaction, each inside its own SAVEPOINT. A unit that fails is rolled back
 * to its savepoint alone and rejects with its error; the others commit together, and only
 * then do their `afterCommit` hooks run and their promises resolve. Under load this turns
 * N BEGIN/COMMIT pairs (and N connection hand-overs) into one, which is where a
 * transaction's cost lies once its statements are prepared.
 *
 * The queue opens and ends its transactions itself, with BEGIN IMMEDIATE / COMMIT on the
 * connection Sequelize hands out (sql.ts execControl), and gives the work a real Sequelize
 * Transaction bound to it (models and `sql.all` accept it as usual). Sequelize's own transaction()
 * costs more than the statements of a small write: two full query pipelines, each of
 * which formats a stack trace. Units with options (an isolation level, …) still go
 * through Sequelize, alone.
 *
 * Statements with no result the work needs (the change log's rows) can ride on the COMMIT:
 * `deferToCommit(transaction, sql)` queues one; a lone unit's go with COMMIT in one `exec`
 * (SQLite stops at the first failing statement, so a failed one is never committed: the unit
 * rolls back), a grouped unit's in one `exec` inside its savepoint (a failure fails it alone). Each trip through node-sqlite3 is a hop through libuv's thread
 * pool and back, and a batch in a transaction is a chain of them (BEGIN, UPDATE, INSERT,
 * COMMIT); on a busy machine each hop waits for the scheduler, so one hop fewer is a quarter off
 * a batch (and a write that needs no transaction takes one: inWriteTurn, below).
 * A unit rolled back to its savepoint drops what it deferred.
 *
 * A write that is one statement needs no transaction: `inWriteTurn(sequelize, work)` runs
 * `work` (its autocommit statements, on the connection outside transactions) in the queue's
 * order, between transactions, so it neither lands inside one nor waits on the write lock in
 * the thread pool. A like batch whose log a trigger writes is such a write
 * (watch/counter-log.ts).
 *
 * Only managed transactions (`sequelize.transaction(async (t) => …)`) are queued; do not
 * open a second transaction from inside one (it would wait for itself; `atomic()` joins
 * the open one instead).
 */
import { AsyncResource } from 'node:async_hooks';

import { Transaction, type Sequelize } from 'sequelize';
import type sqlite3 from 'sqlite3';

import { currentTransaction } from './atomic.js';
import { execControl } from './sql.js';

type Work = (transaction: Transaction) => Promise<unknown>;

interface Settles {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A managed transaction's work. */
interface Unit extends Settles {
  work: Work;
  /** Transaction options, if the caller gave any: such a unit runs in a transaction of its own. */
  options?: object;
}

/** A write outside any transaction (inWriteTurn): its statements commit each on their own. */
interface Write extends Settles {
  write: () => Promise<unknown>;
}

const isWrite = (entry: Unit | Write): entry is Write => 'write' in entry;

/** Where a unit's deferred statements go (see deferToCommit). */
const DEFERRED = Symbol('mgrpc.deferToCommit');

/**
 * Queues `sql` (literal SQL, no parameters) to run just before COMMIT, in the same exec, when
 * the transaction is one the write queue opened; returns false otherwise (run it yourself).
 */
export function deferToCommit(transaction: Transaction, sql: string): boolean {
  const deferred = (transaction as unknown as { [DEFERRED]?: string[] })[DEFERRED];
  if (!deferred) return false;
  deferred.push(sql);
  return true;
}

/** Each queued database's way in for a write outside transactions (inWriteTurn). */
const turns = new WeakMap<Sequelize, <T>(work: () => Promise<T>) => Promise<T>>();

/**
 * Runs `work`, whose statements are autocommit (no transaction passed), in the write queue's
 * turn: after the transactions queued before it have committed, before those queued after it
 * begin, in its caller's async context. Without a queue (PostgreSQL, or a database the queue
 * was not installed on) it runs at once. Not from inside an `atomic` block (refused: it would
 * wait for itself); and, as a transaction's work, it holds up every later write until it settles.
 */
export function inWriteTurn<T>(sequelize: Sequelize, work: () => Promise<T>): Promise<T> {
  const turn = turns.get(sequelize);
  if (!turn) return work();
  // Its turn would come after the open transaction, which is waiting for it.
  if (currentTransaction(sequelize)) return Promise.reject(new Error('inWriteTurn: called inside a transaction, which it would wait for; run the statements in that transaction instead'));
  return turn(work);
}

/** The most transactions committed together. */
const MAX_GROUP = 64;

interface Connection {
  uuid?: string;
}

interface TransactionInternals {
  id: string;
  connection: sqlite3.Database & Connection;
  finished?: string;
  cleanup(): void;
  forceCleanup(): Promise<void>;
}

export function queueTransactions(sequelize: Sequelize): void {
  const original = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  const manager = (sequelize as unknown as { connectionManager: { getConnection(options: { uuid: string }): Promise<sqlite3.Database & Connection> } }).connectionManager;
  const waiting: (Unit | Write)[] = [];
  let running = false;

  const runAlone = (unit: Unit) => original(unit.options, unit.work).then(unit.resolve, unit.reject);

  /** One SQLite transaction for the units; each inside its own SAVEPOINT when there are several. */
  const runTogether = async (units: Unit[]) => {
    type Hook = (transaction: Transaction) => unknown;
    const outcomes: { unit: Unit; ok: boolean; value: unknown; hooks: Hook[]; own: Transaction }[] = [];
    const transaction = new Transaction(sequelize, {});
    const internals = transaction as unknown as TransactionInternals;
    try {
      const connection = await manager.getConnection({ uuid: internals.id });
      internals.connection = connection;
      connection.uuid = internals.id;
    } catch (err) {
      for (const unit of units) unit.reject(err);
      return;
    }
    const exec = (sql: string) => execControl(internals.connection, sql);
    const alone = units.length === 1;
    let began = false;
    // Statements a lone unit deferred to the commit.
    const tail: string[] = [];
    try {
      await exec('BEGIN IMMEDIATE');
      began = true;
      for (const [i, unit] of units.entries()) {
        const hooks: Hook[] = [];
        // The unit's own view of the transaction: its afterCommit hooks run only if it was kept.
        const own = Object.create(transaction) as Transaction;
        own.afterCommit = (hook: Hook) => void hooks.push(hook);
        const deferred: string[] = [];
        (own as unknown as { [DEFERRED]: string[] })[DEFERRED] = deferred;
        if (alone) {
          // A lone unit that fails rolls the transaction back (below): no savepoint needed.
          outcomes.push({ unit, ok: true, value: await unit.work(own), hooks, own });
          tail.push(...deferred);
          continue;
        }
        await exec(`SAVEPOINT mgrpc_unit_${i}`);
        try {
          const value = await unit.work(own);
          // In a group its deferred statements run inside its savepoint, so one that fails
          // fails this unit alone, not the units committed with it.
          if (deferred.length > 0) await exec(deferred.join(';\n'));
          await exec(`RELEASE mgrpc_unit_${i}`);
          outcomes.push({ unit, ok: true, value, hooks, own });
        } catch (err) {
          await exec(`ROLLBACK TO mgrpc_unit_${i}`);
          await exec(`RELEASE mgrpc_unit_${i}`);
          outcomes.push({ unit, ok: false, value: err, hooks, own });
        }
      }
      // Finished before COMMIT is sent: nothing may join a transaction being committed.
      internals.finished = 'commit';
      // One exec: it stops at a failing statement, before the COMMIT, and the lone unit rolls back.
      await exec(tail.length === 0 ? 'COMMIT' : `${tail.join(';\n')};\nCOMMIT`);
      internals.cleanup();
    } catch (err) {
      // BEGIN (the write lock not had in time), the work of a lone unit, the commit or a
      // rollback to a savepoint failed: nothing of the group is kept. A connection whose
      // rollback fails is in an unknown state: closed.
      internals.finished = 'rollback';
      if (began) {
        await exec('ROLLBACK').then(
          () => internals.cleanup(),
          () => internals.forceCleanup(),
        );
      } else {
        internals.cleanup();
      }
      for (const unit of units) unit.reject(err);
      return;
    }
    for (const { unit, ok, value, hooks, own } of outcomes) {
      if (!ok) {
        unit.reject(value);
        continue;
      }
      for (const hook of hooks) {
        const done = hook(own);
        // Hooks are mostly synchronous (the change log's wake-up): awaited only when they return a promise.
        if (typeof (done as PromiseLike<unknown> | undefined)?.then === 'function') await done;
      }
      unit.resolve(value);
    }
  };

  const pump = async () => {
    if (running) return;
    running = true;
    try {
      while (waiting.length > 0) {
        // Units with options run alone, writes outside transactions alone with no BEGIN; the
        // rest, up to MAX_GROUP in arrival order, together.
        const head = waiting[0];
        if (isWrite(head)) {
          waiting.shift();
          let done: Promise<unknown>;
          try {
            done = head.write();
          } catch (err) {
            done = Promise.reject(err);
          }
          await done.then(head.resolve, head.reject);
          continue;
        }
        if (head.options) {
          waiting.shift();
          await runAlone(head);
          continue;
        }
        let n = 1;
        while (n < waiting.length && n < MAX_GROUP) {
          const next = waiting[n];
          if (isWrite(next) || next.options) break;
          n += 1;
        }
        await runTogether(waiting.splice(0, n) as Unit[]);
      }
    } finally {
      running = false;
    }
  };

  const queued = (...args: unknown[]): Promise<unknown> => {
    const work = args[args.length - 1];
    if (typeof work !== 'function') return original(...args);
    const options = args.length > 1 ? (args[0] as object) : undefined;
    return new Promise((resolve, reject) => {
      // The work runs later, from the queue: run it in the caller's async context, so what
      // the caller set up there (request id, writeThrough's collector) is still in force.
      // (Not AsyncResource.bind: on Node 20 every bind builds deprecation wrappers, a
      // measurable cost per transaction.)
      const context = new AsyncResource('mgrpc.transaction');
      const inContext: Work = (transaction) => context.runInAsyncScope(work as Work, undefined, transaction);
      waiting.push({ work: inContext, options, resolve, reject });
      void pump();
    });
  };
  (sequelize as unknown as { transaction: typeof queued }).transaction = queued;
  turns.set(
    sequelize,
    <T>(work: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        // Run later, from the queue, in the caller's context (its request id), as transactions are.
        const context = new AsyncResource('mgrpc.write');
        waiting.push({ write: () => context.runInAsyncScope(work), resolve: resolve as (value: unknown) => void, reject });
        void pump();
      }),
  );
}
