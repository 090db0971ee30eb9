/**
 * SQLite allows one writer at a time, and node-sqlite3 waits for the write lock by
 * sleeping inside libuv's thread pool (4 threads). With dozens of concurrent transactions
 * in one process, the waiters occupy every thread, the lock holder cannot run its next
 * statement, and the process stalls until busy timeouts expire. So transactions on a
 * SQLite database are queued here, in-process: at most one is open per process, and
 * busy_timeout is left to arbitrate between processes (the REST and gRPC servers of a
 * service share its file).
 *
 * Only managed transactions (`sequelize.transaction(async (t) => …)`) are queued; do not
 * open a second transaction from inside one (it would wait for itself).
 */
import type { Sequelize } from 'sequelize';

export function queueTransactions(sequelize: Sequelize): void {
  const original = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  const queued = (...args: unknown[]): Promise<unknown> => {
    const managed = typeof args[args.length - 1] === 'function';
    if (!managed) return original(...args);
    const run = tail.then(() => original(...args));
    tail = run.catch(() => undefined);
    return run;
  };
  (sequelize as unknown as { transaction: typeof queued }).transaction = queued;
}
