/**
 * The outbox table's SQL, in one place. Every statement is plain SQL that SQLite and
 * PostgreSQL both run (times are epoch milliseconds; claiming adds row locks on PostgreSQL); writes go through `atomic` so that on
 * SQLite they take their turn in the process's write queue.
 *
 * Claiming is a lease: a relay marks due rows as its own until `lease_until`; a relay that
 * dies mid-delivery simply lets the lease run out and another relay (or itself, restarted)
 * takes the rows again. A row whose ordering key has an older pending row is never claimed,
 * which is what keeps one entity's changes in order.
 */
import type { Sequelize, Transaction } from 'sequelize';

import { atomic } from '../db/atomic.js';
import { deferToCommit } from '../db/write-queue.js';
import { chunks, sqlRunner, sqlTuples, type SqlRunner, type SqlValue } from '../db/sql.js';
import { OUTBOX_TABLE, SETTINGS_TABLE } from '../sync/tables.js';

export interface OutboxRow {
  id: number;
  topic: string;
  payload: string;
  idempotencyKey: string;
  orderingKey: string | null;
  attempts: number;
}

export interface NewRow {
  topic: string;
  payload: string;
  idempotencyKey: string;
  orderingKey: string | null;
  /** Claimed by this owner from the start (the enqueuing process delivers it at once). */
  leaseOwner: string | null;
  leaseUntil: number | null;
  now: number;
}

export interface TopicStats {
  topic: string;
  state: 'pending' | 'failed';
  count: number;
  oldestCreatedAt: number;
  nextAttemptAt: number;
  maxAttempts: number;
}

export interface StoredEntry {
  id: number;
  topic: string;
  state: string;
  orderingKey: string | null;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  lastError: string | null;
}

type Raw = Record<string, unknown>;

/** A row a relay may take now (bind: now, now), for rows aliased `o`: pending, its attempt due, not leased. */
const DUE = "o.state = 'pending' AND o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until < ?)";

function toRow(raw: Raw): OutboxRow {
  return {
    id: Number(raw.id),
    topic: String(raw.topic),
    payload: String(raw.payload),
    idempotencyKey: String(raw.idempotency_key),
    orderingKey: raw.ordering_key == null ? null : String(raw.ordering_key),
    attempts: Number(raw.attempts),
  };
}

export class OutboxStore {
  private readonly table: string;
  private readonly sql: SqlRunner;
  // PostgreSQL runs relays' claims at the same time: a row another relay is claiming right
  // now is passed over rather than waited for (and, once that claim commits, re-checked and
  // found leased). SQLite runs one write at a time, so its claim needs no row locks.
  private readonly skipLocked: string;

  constructor(readonly sequelize: Sequelize) {
    this.table = sequelize.getQueryInterface().quoteIdentifier(OUTBOX_TABLE);
    this.sql = sqlRunner(sequelize);
    this.skipLocked = sequelize.getDialect() === 'postgres' ? ' FOR UPDATE OF o SKIP LOCKED' : '';
  }

  private select<T extends object = Raw>(sql: string, params: SqlValue[], transaction?: Transaction): Promise<T[]> {
    return this.sql.all<T>(sql, params, transaction);
  }

  private write(sql: string, params: SqlValue[]): Promise<Raw[]> {
    return atomic(this.sequelize, (transaction) => this.select(sql, params, transaction));
  }

  /** Whether an older change of this entity is still queued, and whether delivering it has failed before. */
  async pendingFor(orderingKey: string, transaction: Transaction): Promise<{ failing: boolean } | undefined> {
    const [row] = await this.select(
      `SELECT COUNT(*) AS count, MAX(attempts) AS attempts FROM ${this.table} WHERE ordering_key = ? AND state = 'pending'`,
      [orderingKey],
      transaction,
    );
    return Number(row?.count ?? 0) === 0 ? undefined : { failing: Number(row.attempts) > 0 };
  }

  /** Inserts rows (one statement per 64) and returns their ids, in the order given. */
  async insert(rows: readonly NewRow[], transaction: Transaction): Promise<number[]> {
    const ids: number[] = [];
    for (const chunk of chunks(rows)) {
      const inserted = await this.select(
        `INSERT INTO ${this.table} (topic, payload, idempotency_key, ordering_key, state, attempts, next_attempt_at, lease_owner, lease_until, created_at)
         VALUES ${chunk.map(() => "(?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)").join(', ')} RETURNING id`,
        chunk.flatMap((row) => [row.topic, row.payload, row.idempotencyKey, row.orderingKey, row.now, row.leaseOwner, row.leaseUntil, row.now]),
        transaction,
      );
      // Ids come from the table's sequence in the order the rows were written; RETURNING
      // does not promise to list them in that order.
      ids.push(...inserted.map((r) => Number(r.id)).sort((a, b) => a - b));
    }
    return ids;
  }

  /**
   * Whether any row may be due, by a read: no write lock, no transaction. Relays poll, and
   * most polls find nothing; a claim for nothing would still take the database's write
   * lock (on SQLite, from the service's other processes too, whose writes then wait).
   */
  async anyDue(now: number): Promise<boolean> {
    const rows = await this.select(
      `SELECT 1 AS due FROM ${this.table} o WHERE ${DUE} LIMIT 1`,
      [now, now],
    );
    return rows.length > 0;
  }

  /** Leases up to `limit` due rows, oldest first, skipping rows queued behind an older one of the same entity. */
  async claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    const rows = await this.write(
      `UPDATE ${this.table} SET lease_owner = ?, lease_until = ?
       WHERE id IN (
         SELECT o.id FROM ${this.table} o
         WHERE ${DUE}
           AND (o.ordering_key IS NULL OR NOT EXISTS (
             SELECT 1 FROM ${this.table} p WHERE p.ordering_key = o.ordering_key AND p.state = 'pending' AND p.id < o.id))
         ORDER BY o.id LIMIT ?${this.skipLocked})
       RETURNING id, topic, payload, idempotency_key, ordering_key, attempts`,
      [owner, now + leaseMs, now, now, limit],
    );
    return rows.map(toRow).sort((a, b) => a.id - b.id);
  }

  /** Delivered: the rows' work is done (in the caller's transaction, if given). */
  async complete(ids: number[], transaction?: Transaction): Promise<void> {
    // Inside a transaction the SQLite write queue opened, the DELETE rides on its COMMIT (the
    // ids are our own integers, written into the SQL): one trip through node-sqlite3 fewer for
    // the enqueue that carries it. A failure still fails that transaction, as before.
    if (transaction && ids.every(Number.isSafeInteger) && deferToCommit(transaction, `DELETE FROM ${this.table} WHERE id IN (${ids.join(', ')})`)) return;
    for (const chunk of chunks(ids)) {
      const sql = `DELETE FROM ${this.table} WHERE id IN (${sqlTuples(chunk.length)}) RETURNING id`;
      await (transaction ? this.select(sql, chunk, transaction) : this.write(sql, chunk));
    }
  }

  /** Drops an entry inside the caller's transaction (its change was undone). */
  async discard(id: number, transaction: Transaction): Promise<void> {
    await this.select(`DELETE FROM ${this.table} WHERE id = ? RETURNING id`, [id], transaction);
  }

  /** Not delivered this time: try again at `nextAttemptAt`. */
  async retry(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.write(
      `UPDATE ${this.table} SET attempts = attempts + 1, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?
       WHERE id = ? RETURNING id`,
      [nextAttemptAt, error, id],
    );
  }

  /** Refused for good by the receiver: kept for inspection, no longer blocks its entity. */
  async fail(id: number, error: string): Promise<void> {
    await this.write(
      `UPDATE ${this.table} SET state = 'failed', attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, last_error = ? WHERE id = ? RETURNING id`,
      [error, id],
    );
  }

  /** Gives back this owner's leases (on shutdown), so another relay need not wait them out. */
  async release(owner: string): Promise<void> {
    await this.write(`UPDATE ${this.table} SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? RETURNING id`, [owner]);
  }

  /** Puts failed rows back in the queue (after the cause was fixed). */
  async requeueFailed(now: number): Promise<number> {
    const rows = await this.write(
      `UPDATE ${this.table} SET state = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE state = 'failed' RETURNING id`,
      [now],
    );
    return rows.length;
  }

  async stats(): Promise<TopicStats[]> {
    const rows = await this.select(
      `SELECT topic, state, COUNT(*) AS count, MIN(created_at) AS oldest, MIN(next_attempt_at) AS next, MAX(attempts) AS attempts
       FROM ${this.table} GROUP BY topic, state ORDER BY topic, state`,
      [],
    );
    return rows.map((r) => ({
      topic: String(r.topic),
      state: r.state as 'pending' | 'failed',
      count: Number(r.count),
      oldestCreatedAt: Number(r.oldest),
      nextAttemptAt: Number(r.next),
      maxAttempts: Number(r.attempts),
    }));
  }

  async entries(limit: number): Promise<StoredEntry[]> {
    const rows = await this.select(
      `SELECT id, topic, state, ordering_key, attempts, created_at, next_attempt_at, lease_owner, last_error FROM ${this.table} ORDER BY id LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      topic: String(r.topic),
      state: String(r.state),
      orderingKey: r.ordering_key == null ? null : String(r.ordering_key),
      attempts: Number(r.attempts),
      createdAt: Number(r.created_at),
      nextAttemptAt: Number(r.next_attempt_at),
      leaseOwner: r.lease_owner == null ? null : String(r.lease_owner),
      lastError: r.last_error == null ? null : String(r.last_error),
    }));
  }

  /** The payloads and states of a topic's undelivered entries, oldest first, at most `limit`. */
  async undelivered(topic: string, limit: number): Promise<{ state: 'pending' | 'failed'; payload: string }[]> {
    const rows = await this.select(`SELECT state, payload FROM ${this.table} WHERE topic = ? ORDER BY id LIMIT ?`, [topic, limit]);
    return rows.map((r) => ({ state: r.state as 'pending' | 'failed', payload: String(r.payload) }));
  }

  async origin(): Promise<string> {
    const settings = this.sequelize.getQueryInterface().quoteIdentifier(SETTINGS_TABLE);
    const [row] = await this.select(`SELECT value FROM ${settings} WHERE name = 'outbox_origin'`, []);
    if (!row) throw new Error(`${SETTINGS_TABLE} has no outbox_origin: run the framework migration (mgrpc migrate)`);
    return String(row.value);
  }
}
