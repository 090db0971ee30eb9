/**
 * The writing end of the change log: `recordChanges(transaction, changes)` adds the rows
 * inside the transaction that makes the changes, so a change is in the log if and only if
 * it committed. One multi-row INSERT per 64 changes (on PostgreSQL after one UPDATE of the
 * counter row for their numbers: call it as the transaction's last write, since that row
 * stays locked until the commit, see tables.ts); after the commit this process's feed
 * (if anyone watches) is woken at once, and other processes by their poll (SQLite) or by
 * the NOTIFY the insert trigger sends (PostgreSQL).
 *
 * The log is bounded: `pruneChanges` keeps the newest `keep` rows and records how far it cut
 * (tables.ts PRUNED_SETTING), so a watcher resuming from before that is told it missed changes.
 *
 * @example
 *   await atomic(sequelize, async (t) => {
 *     const product = await Product.create(data, { transaction: t });
 *     await recordChanges(sequelize, t, [{ topic: 'product', key: product.id, kind: 'created', data: message }]);
 *   });
 */
import type { Sequelize, Transaction } from 'sequelize';

import { chunks, sqliteLiteral, sqlRunner, sqlTuples, type SqlValue } from '../db/sql.js';
import { deferToCommit } from '../db/write-queue.js';
import type { Logger } from '../logger.js';
import { SETTINGS_TABLE } from '../sync/tables.js';
import { CHANGES_TABLE, COUNTER_TABLE, PRUNED_SETTING } from './tables.js';

export type ChangeKind = 'created' | 'updated' | 'deleted';

interface ChangeHead {
  /** What is watched, e.g. the resource's name (`product`). */
  topic: string;
  /** Which object changed (its lookup value). */
  key: string;
  kind: ChangeKind;
}

/**
 * One change: the object as watchers receive it (its proto message), after the change (before
 * it, for a delete), as `data`, or as `json` when the caller already has its JSON text (many
 * changes built from one object, as a batch of likes of one product: one stringify, not many).
 */
export type ChangeRecord = ChangeHead & ({ data: object; json?: undefined } | { json: string; data?: undefined });

const jsonOf = (change: ChangeRecord): string => change.json ?? JSON.stringify(change.data);

export interface ChangeLogSettings {
  /** Rows kept when pruning (MGRPC_CHANGE_LOG_KEEP, default 100,000). */
  keep: number;
  /** How often the feed polls for other processes' commits when nothing woke it (ms). */
  pollMs: number;
  logger?: Logger;
}

export const DEFAULT_CHANGE_LOG: ChangeLogSettings = { keep: 100_000, pollMs: 50 };

interface LogState {
  settings: ChangeLogSettings;
  /** Called after a commit that wrote changes (the feed's wake-up), when a feed exists. */
  onCommit?: () => void;
  writesSincePrune: number;
  pruning?: Promise<void>;
}

const states = new WeakMap<Sequelize, LogState>();

export function changeLogState(sequelize: Sequelize): LogState {
  let state = states.get(sequelize);
  if (!state) states.set(sequelize, (state = { settings: { ...DEFAULT_CHANGE_LOG }, writesSincePrune: 0 }));
  return state;
}

/** Sets how this database's change log is kept (the runtime calls it from the environment). */
export function configureChangeLog(sequelize: Sequelize, settings: Partial<ChangeLogSettings>): void {
  Object.assign(changeLogState(sequelize).settings, settings);
}

/** Writes `changes` inside `transaction`, in order; the feed sees them once it commits. */
export async function recordChanges(sequelize: Sequelize, transaction: Transaction, changes: readonly ChangeRecord[]): Promise<void> {
  if (changes.length === 0) return;
  const sql = sqlRunner(sequelize);
  const now = Date.now();
  if (sequelize.getDialect() === 'postgres') {
    // One statement per 64 changes: the counter's numbers and the rows together (one round trip).
    for (const part of chunks(changes)) {
      const values: SqlValue[] = [part.length];
      for (const [i, change] of part.entries()) values.push(i + 1, change.topic, change.key, change.kind, jsonOf(change), now);
      const rows = part.map(() => '(?::int, ?, ?, ?, ?, ?::bigint)').join(', ');
      await sql.all(
        `WITH numbered AS (UPDATE ${COUNTER_TABLE} SET seq = seq + ? WHERE id = 1 RETURNING seq)
         INSERT INTO ${CHANGES_TABLE} (seq, topic, key, kind, data, created_at)
         SELECT numbered.seq - ${part.length} + v.i, v.topic, v.key, v.kind, v.data, v.created_at FROM numbered, (VALUES ${rows}) AS v(i, topic, key, kind, data, created_at)`,
        values,
        transaction,
      );
    }
  } else {
    // Sent with the COMMIT when the write queue opened the transaction: nothing here needs
    // the insert's result, and it saves the batch a trip through the thread pool.
    const literal = (part: readonly ChangeRecord[]) =>
      `INSERT INTO ${CHANGES_TABLE} (topic, key, kind, data, created_at) VALUES ${part.map((c) => `(${sqliteLiteral(c.topic)}, ${sqliteLiteral(c.key)}, ${sqliteLiteral(c.kind)}, ${sqliteLiteral(jsonOf(c))}, ${now})`).join(', ')}`;
    const deferred = deferToCommit(transaction, chunks(changes).map(literal).join(';\n'));
    if (!deferred) for (const part of chunks(changes)) {
      const values: SqlValue[] = [];
      for (const change of part) values.push(change.topic, change.key, change.kind, jsonOf(change), now);
      await sql.all(`INSERT INTO ${CHANGES_TABLE} (topic, key, kind, data, created_at) VALUES ${sqlTuples(part.length, 5)}`, values, transaction);
    }
  }
  transaction.afterCommit(() => changesCommitted(sequelize, changes.length));
}

/**
 * Tells this process's feed that `count` changes were committed (recordChanges does it after
 * its commit; a writer whose rows the database wrote, counter-log.ts, calls it itself).
 */
export function changesCommitted(sequelize: Sequelize, count: number): void {
  const state = changeLogState(sequelize);
  state.onCommit?.();
  // Writers prune too, so the log stays bounded in a process nobody watches.
  state.writesSincePrune += count;
  if (state.writesSincePrune >= Math.max(64, state.settings.keep / 10)) void prune(sequelize, state);
}

function prune(sequelize: Sequelize, state: LogState): Promise<void> {
  state.writesSincePrune = 0;
  return (state.pruning ??= pruneChanges(sequelize, state.settings.keep)
    .catch((err: unknown) => state.settings.logger?.warn('pruning the change log failed; the next prune retries', { error: err instanceof Error ? err.message : String(err) }))
    .finally(() => (state.pruning = undefined)));
}

/** Deletes all but the newest `keep` rows and raises the pruned mark; returns the mark. */
export async function pruneChanges(sequelize: Sequelize, keep: number): Promise<void> {
  const sql = sqlRunner(sequelize);
  const [top] = await sql.all<{ seq: number | string | null }>(`SELECT MAX(seq) AS seq FROM ${CHANGES_TABLE}`);
  const cut = Number(top?.seq ?? 0) - keep;
  if (cut <= 0) return;
  // The mark first: a watcher that reads it and then finds its rows gone must not resume past them.
  await sql.all(`UPDATE ${SETTINGS_TABLE} SET value = ? WHERE name = ? AND CAST(value AS BIGINT) < ?`, [String(cut), PRUNED_SETTING, cut]);
  await sql.all(`DELETE FROM ${CHANGES_TABLE} WHERE seq <= ?`, [cut]);
}

/** The highest `seq` pruned so far (0: none). */
export async function prunedThrough(sequelize: Sequelize, transaction?: Transaction): Promise<number> {
  const [row] = await sqlRunner(sequelize).all<{ value: string }>(`SELECT value FROM ${SETTINGS_TABLE} WHERE name = ?`, [PRUNED_SETTING], transaction);
  return Number(row?.value ?? 0);
}
