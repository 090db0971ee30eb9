/**
 * `atomic(sequelize, fn)`: run fn in a transaction, or inside the one already open on this
 * async path. Nesting joins the outer transaction (like Django's `atomic` without
 * savepoints), so a generic resource method called from inside an idempotent gRPC handler
 * commits or rolls back together with the handler's bookkeeping. On SQLite this also keeps
 * an inner call from queueing behind its own outer transaction (see write-queue.ts).
 *
 * @example
 *   await atomic(sequelize, async (transaction) => {
 *     await ProductUser.create(row, { transaction });
 *     await outbox.enqueue(transaction, { topic: 'dashboard.like', payload });
 *   });
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import type { Sequelize, Transaction } from 'sequelize';

// One open transaction per database on an async path: a call on a second database inside
// an atomic block must not hide the first one's transaction (on SQLite, a call on the first
// database would then queue behind its own open transaction forever).
const open = new AsyncLocalStorage<ReadonlyMap<Sequelize, Transaction>>();

// Transactions whose atomic block has returned. Work the block left running (a timer, a
// promise nobody awaits) still sees its transaction on the async path, and in the window
// before the commit completes it would otherwise join a transaction that is being
// committed (or, grouped on SQLite, the next unit's savepoint).
const ended = new WeakSet<Transaction>();

export function atomic<T>(sequelize: Sequelize, fn: (transaction: Transaction) => Promise<T>): Promise<T> {
  const outer = currentTransaction(sequelize);
  if (outer) return fn(outer);
  return sequelize.transaction((transaction) =>
    open.run(new Map(open.getStore()).set(sequelize, transaction), () =>
      // `then` with both handlers: one promise where `finally` makes three.
      fn(transaction).then(
        (value) => {
          ended.add(transaction);
          return value;
        },
        (err: unknown) => {
          ended.add(transaction);
          throw err;
        },
      ),
    ),
  );
}

/** The transaction `atomic` opened on this async path for this database, if any. */
export function currentTransaction(sequelize: Sequelize): Transaction | undefined {
  const transaction = open.getStore()?.get(sequelize);
  // Work started inside a block (a timer, a background promise) keeps this async path after
  // the block ended; it must open a transaction of its own, not use the ended one.
  return transaction && !ended.has(transaction) && !(transaction as { finished?: string }).finished ? transaction : undefined;
}
