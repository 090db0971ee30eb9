/**
 * The reading end of the change log: one feed per database per process, shared by all its
 * watchers. While anyone watches, it reads the log in `seq` order past what it has read
 * (`frontier`) into a bounded ring of recent changes, and wakes the watchers waiting for
 * more; each watcher keeps only its position, so a thousand watchers cost one query per
 * poll, not a thousand. A watcher behind the ring (slow, or resuming from further back)
 * reads pages from the database instead; one behind the log's pruned start is told so.
 *
 * When it reads: at once after a commit in this process that wrote changes; on a
 * PostgreSQL NOTIFY (sent by the log's insert trigger at every commit, from any process);
 * and every `pollMs` (SQLite, where another process's commits make no sound) or second
 * (PostgreSQL, a safety net). The log's numbers follow commit order (tables.ts), so
 * reading past the last number read never skips a change committed late.
 *
 * @example
 *   const feed = changeFeed(sequelize);
 *   const detach = feed.attach();
 *   const { position, value } = await feed.snapshot((t) => Product.findAll({ transaction: t }));
 *   for (;;) { const changes = feed.since(position) ?? (await feed.readPage(position)); … }
 */
import { Transaction, type Sequelize } from 'sequelize';

import { atomic } from '../db/atomic.js';
import { sqlRunner } from '../db/sql.js';
import { changeLogState, prunedThrough, type ChangeKind } from './change-log.js';
import { SETTINGS_TABLE } from '../sync/tables.js';
import { CHANGES_CHANNEL, CHANGES_TABLE, PRUNED_SETTING } from './tables.js';

export interface Change {
  seq: number;
  topic: string;
  key: string;
  kind: ChangeKind;
  /** The object as sent to watchers, parsed once and shared by all of them. */
  message: object;
  /**
   * The stream message of this change (`{seq, <kind>: message}`), one frozen object for every
   * watcher: the gRPC server encodes a frozen message once, however many streams send it.
   */
  wire: Readonly<Record<string, unknown>>;
}

interface ChangeRow {
  seq: number | string;
  topic: string;
  key: string;
  kind: ChangeKind;
  data: string;
}

/** Changes kept in memory for watchers that keep up (a few MB). */
const RING_SIZE = 8192;
/** Rows read per query. */
const PAGE = 1000;
/** PostgreSQL: how often the feed reads without a notification (a lost NOTIFY costs at most this). */
const PG_POLL_MS = 1000;

export interface Snapshot<T> {
  /** The log position the value is as of: live changes continue after it. */
  position: number;
  value: T;
}

export class ChangeFeed {
  private readonly postgres: boolean;
  private readonly sql;
  /** Every deliverable change with floor < seq <= frontier is in `ring`, in order. */
  private ring: Change[] = [];
  private floor = 0;
  private frontierSeq = 0;
  private started: Promise<void> | undefined;
  private watchers = 0;
  private polling = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters = new Set<() => void>();
  /** Called synchronously once the feed has read more (push streams, follow.ts): no promise per watcher. */
  private listeners = new Set<() => void>();
  private listener: { end(): Promise<void> } | undefined;
  private closed = false;
  /** Bumped by stop(): a start still under way when it was stopped undoes itself. */
  private generation = 0;

  constructor(private readonly sequelize: Sequelize) {
    this.postgres = sequelize.getDialect() === 'postgres';
    this.sql = sqlRunner(sequelize);
  }

  /** The last change read. */
  get frontier(): number {
    return this.frontierSeq;
  }

  /** Counts a watcher; the first starts the reading, the last stops it. Returns the detach. */
  attach(): { ready: Promise<void>; detach: () => void } {
    this.watchers++;
    // The first watcher starts the reading (again, if a start failed: its watchers got the error).
    if (!this.started) this.start();
    let detached = false;
    return {
      ready: this.started!,
      detach: () => {
        if (detached) return;
        detached = true;
        this.watchers--;
        if (this.watchers === 0) this.stop();
      },
    };
  }

  /** Reads now (a commit in this process wrote changes). */
  wake(): void {
    if (this.watchers > 0 && this.started) void this.started.then(() => this.poll());
  }

  /**
   * The changes after `after` from memory (up to `max`), [] when there are none yet, or
   * undefined when `after` is older than the ring holds: read the database (`readPage`).
   */
  since(after: number, max = 256): Change[] | undefined {
    if (after < this.floor) return undefined;
    if (after >= this.frontierSeq) return [];
    const start = this.indexAfter(after);
    return this.ring.slice(start, start + max);
  }

  /** The first ring entry with seq > after: a binary search, the ring being in seq order. */
  private indexAfter(after: number): number {
    if (after >= this.frontierSeq) return this.ring.length;
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid].seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The recent changes and the index of the first with seq > `after` (the ring's length when
   * there is none yet), or undefined when `after` is older than the ring holds. For a caller
   * that reads them synchronously, without the copy `since` makes.
   */
  recentAfter(after: number): { changes: readonly Change[]; start: number } | undefined {
    if (after < this.floor) return undefined;
    return { changes: this.ring, start: this.indexAfter(after) };
  }

  /** Resolves once the feed has read past `after`, or when `signal` aborts. */
  next(after: number, signal: AbortSignal): Promise<void> {
    if (this.frontierSeq > after || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }

  /**
   * Calls `listener` (synchronously, in the reading's own turn) whenever the feed has read
   * more; returns the unsubscribe. A listener that throws is its own watcher's problem: the
   * others are still called.
   */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Changes after `after`, up to the feed's frontier, from the database (for a watcher
   * behind the ring), or 'expired' when pruning has removed some of them.
   */
  async readPage(after: number, limit = 500): Promise<Change[] | 'expired'> {
    if (after < (await prunedThrough(this.sequelize))) return 'expired';
    const rows = await this.sql.all<ChangeRow>(
      `SELECT seq, topic, key, kind, data FROM ${CHANGES_TABLE} WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ${Number(limit)}`,
      [after, this.frontierSeq],
    );
    return rows.map(toChange);
  }

  /**
   * `read` in one consistent snapshot of the database, with the log position it is as of
   * (the last change it sees). SQLite: inside a write-queue transaction; PostgreSQL: a
   * REPEATABLE READ, READ ONLY transaction (whose snapshot holds a prefix of the log).
   */
  async snapshot<T>(read: (transaction: Transaction) => Promise<T>): Promise<Snapshot<T>> {
    const inside = async (transaction: Transaction) => ({ position: await this.head(transaction), value: await read(transaction) });
    if (!this.postgres) return atomic(this.sequelize, inside);
    return this.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ, readOnly: true } as never, inside);
  }

  /** Stops reading for good (the database is being closed). */
  async close(): Promise<void> {
    this.closed = true;
    this.stop();
  }

  /** The newest change's seq; the pruned mark when the log is empty. */
  async head(transaction?: Transaction): Promise<number> {
    const [top] = await this.sql.all<{ seq: number | string | null }>(`SELECT MAX(seq) AS seq FROM ${CHANGES_TABLE}`, [], transaction);
    return top?.seq != null ? Number(top.seq) : prunedThrough(this.sequelize, transaction);
  }

  private start(): void {
    const state = changeLogState(this.sequelize);
    state.onCommit = () => this.wake();
    // Starting afresh after an idle spell: from the head, not through everything since.
    const generation = this.generation;
    this.started = (async () => {
      const head = await this.head();
      if (generation !== this.generation) return;
      this.ring = [];
      this.floor = head;
      this.frontierSeq = head;
      if (this.postgres) await this.listen(generation);
      this.schedule(this.postgres ? PG_POLL_MS : state.settings.pollMs);
    })();
    this.started.catch((err: unknown) => {
      state.settings.logger?.error('the change feed could not start', { error: err instanceof Error ? err.message : String(err) });
      this.started = undefined;
    });
  }

  private stop(): void {
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
    const listener = this.listener;
    this.listener = undefined;
    void listener?.end();
    const state = changeLogState(this.sequelize);
    if (state.onCommit) state.onCommit = undefined;
    this.started = undefined;
    this.notify();
  }

  /** Wakes the waiting iterators and calls the push listeners. */
  private notify(): void {
    for (const wake of [...this.waiters]) wake();
    // The set itself, not a copy (a thousand listeners, every read): one that leaves meanwhile
    // is skipped, one that joins meanwhile is called once more than needed, which is harmless.
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener reports its own failure to its stream (follow.ts); the fan-out goes on.
      }
    }
  }

  private schedule(ms: number): void {
    if (this.closed || this.watchers === 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = true;
    const state = changeLogState(this.sequelize);
    const next = this.postgres ? PG_POLL_MS : state.settings.pollMs;
    try {
      do {
        this.again = false;
        if ((await this.readMore()) === PAGE) this.again = true;
      } while (this.again && this.watchers > 0);
    } catch (err) {
      state.settings.logger?.warn('reading the change log failed; retrying', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.polling = false;
      this.schedule(next);
    }
  }

  /** One page past the frontier into the ring; returns the number of rows read. */
  private async readMore(): Promise<number> {
    // The pruned mark in the same statement (one snapshot): rows at or below it may be gone.
    const rows = await this.sql.all<ChangeRow & { pruned: string | null }>(
      `SELECT c.seq, c.topic, c.key, c.kind, c.data, (SELECT value FROM ${SETTINGS_TABLE} WHERE name = '${PRUNED_SETTING}') AS pruned
         FROM (SELECT 1 AS one) AS anchor LEFT JOIN (SELECT * FROM ${CHANGES_TABLE} WHERE seq > ? ORDER BY seq LIMIT ${PAGE}) AS c ON 1 = 1 ORDER BY c.seq`,
      [this.frontierSeq],
    );
    const pruned = Number(rows[0]?.pruned ?? 0);
    const overtaken = pruned > this.frontierSeq;
    if (overtaken) {
      // Pruned past what this feed had read (it fell far behind): what it missed is lost to
      // it, so it restarts at the mark, and watchers behind it are sent a fresh snapshot.
      this.ring = [];
      this.floor = pruned;
      this.frontierSeq = pruned;
    }
    const found = rows.filter((row) => row.seq !== null && row.seq !== undefined);
    const added = found.filter((row) => Number(row.seq) > this.frontierSeq).map(toChange);
    if (added.length > 0) {
      this.ring.push(...added);
      this.frontierSeq = added[added.length - 1].seq;
      if (this.ring.length > RING_SIZE) {
        const dropped = this.ring.splice(0, this.ring.length - RING_SIZE);
        this.floor = dropped[dropped.length - 1].seq;
      }
    }
    if (added.length > 0 || overtaken) this.notify();
    return found.length;
  }

  private async listen(generation: number): Promise<void> {
    interface PgClient {
      query(sql: string): Promise<unknown>;
      on(event: 'notification' | 'error' | 'end', listener: (...args: unknown[]) => void): void;
    }
    const manager = (this.sequelize as unknown as { connectionManager: { connect(config: object): Promise<PgClient>; disconnect(client: PgClient): Promise<void> } }).connectionManager;
    const client = await manager.connect((this.sequelize as unknown as { config: object }).config);
    let ended = false;
    const end = async () => {
      if (ended) return;
      ended = true;
      await manager.disconnect(client).catch(() => undefined);
    };
    client.on('notification', () => void this.poll());
    // A dropped connection: the periodic read carries on, and the next start listens again.
    client.on('error', () => void end());
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    if (generation === this.generation) this.listener = { end };
    else await end();
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function toChange(row: ChangeRow): Change {
  const message = deepFreeze(JSON.parse(row.data) as object);
  const seq = Number(row.seq);
  return { seq, topic: row.topic, key: row.key, kind: row.kind, message, wire: deepFreeze({ seq: String(seq), [row.kind]: message }) };
}

const feeds = new WeakMap<Sequelize, ChangeFeed>();

/** This process's feed of a database's change log. */
export function changeFeed(sequelize: Sequelize): ChangeFeed {
  let feed = feeds.get(sequelize);
  if (!feed) feeds.set(sequelize, (feed = new ChangeFeed(sequelize)));
  return feed;
}
