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

const open = new AsyncLocalStorage<{ sequelize: Sequelize; transaction: Transaction }>();

export function atomic<T>(sequelize: Sequelize, fn: (transaction: Transaction) => Promise<T>): Promise<T> {
  const outer = currentTransaction(sequelize);
  if (outer) return fn(outer);
  return sequelize.transaction((transaction) => open.run({ sequelize, transaction }, () => fn(transaction)));
}

/** The transaction `atomic` opened on this async path for this database, if any. */
export function currentTransaction(sequelize: Sequelize): Transaction | undefined {
  const store = open.getStore();
  return store?.sequelize === sequelize ? store.transaction : undefined;
}
