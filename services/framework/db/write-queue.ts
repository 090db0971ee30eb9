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
 * Only managed transactions (`sequelize.transaction(async (t) => …)`) are queued; do not
 * open a second transaction from inside one (it would wait for itself; `atomic()` joins
 * the open one instead).
 */
import { AsyncResource } from 'node:async_hooks';

import type { Sequelize, Transaction } from 'sequelize';
import type sqlite3 from 'sqlite3';

import { runPrepared } from './sql.js';

type Work = (transaction: Transaction) => Promise<unknown>;

interface Unit {
  work: Work;
  /** Transaction options, if the caller gave any: such a unit runs in a transaction of its own. */
  options?: object;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** The most transactions committed together. */
const MAX_GROUP = 64;

function exec(transaction: Transaction, sql: string): Promise<void> {
  return runPrepared((transaction as unknown as { connection: sqlite3.Database }).connection, sql);
}

export function queueTransactions(sequelize: Sequelize): void {
  const original = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  const waiting: Unit[] = [];
  let running = false;

  const runAlone = (unit: Unit) => (unit.options ? original(unit.options, unit.work) : original(unit.work)).then(unit.resolve, unit.reject);

  const runTogether = async (units: Unit[]) => {
    type Hook = (transaction: Transaction) => unknown;
    const outcomes: { unit: Unit; ok: boolean; value: unknown; hooks: Hook[]; own: Transaction }[] = [];
    try {
      await original(async (transaction: Transaction) => {
        for (const [i, unit] of units.entries()) {
          const hooks: Hook[] = [];
          // The unit's own view of the transaction: its afterCommit hooks run only if it was kept.
          const own = Object.create(transaction) as Transaction;
          own.afterCommit = (hook: Hook) => void hooks.push(hook);
          await exec(transaction, `SAVEPOINT mgrpc_unit_${i}`);
          try {
            const value = await unit.work(own);
            await exec(transaction, `RELEASE mgrpc_unit_${i}`);
            outcomes.push({ unit, ok: true, value, hooks, own });
          } catch (err) {
            await exec(transaction, `ROLLBACK TO mgrpc_unit_${i}`);
            await exec(transaction, `RELEASE mgrpc_unit_${i}`);
            outcomes.push({ unit, ok: false, value: err, hooks, own });
          }
        }
      });
    } catch (err) {
      // The commit (or a rollback to a savepoint) failed: nothing of the group was kept.
      for (const unit of units) unit.reject(err);
      return;
    }
    for (const { unit, ok, value, hooks, own } of outcomes) {
      if (!ok) {
        unit.reject(value);
        continue;
      }
      for (const hook of hooks) await hook(own);
      unit.resolve(value);
    }
  };

  const pump = async () => {
    if (running) return;
    running = true;
    try {
      while (waiting.length > 0) {
        // Units with options run alone; the rest, up to MAX_GROUP in arrival order, together.
        const head = waiting[0];
        if (head.options) {
          waiting.shift();
          await runAlone(head);
          continue;
        }
        let n = 0;
        while (n < waiting.length && n < MAX_GROUP && !waiting[n].options) n += 1;
        const units = waiting.splice(0, n);
        await (units.length === 1 ? runAlone(units[0]) : runTogether(units));
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
}
