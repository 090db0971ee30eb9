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
 * (PostgreSQL, a safety net). On PostgreSQL a row is read only once it is deliverable (see
 * tables.ts): a younger transaction's row waits, and the feed retries shortly.
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
import { CHANGES_CHANNEL, CHANGES_TABLE } from './tables.js';

export interface Change {
  seq: number;
  topic: string;
  key: string;
  kind: ChangeKind;
  /** The object as sent to watchers, parsed once and shared by all of them. */
  message: object;
}

interface ChangeRow {
  seq: number | string;
  topic: string;
  key: string;
  kind: ChangeKind;
  data: string;
  xmax_at: number | string;
  horizon: number | string;
}

/** Changes kept in memory for watchers that keep up (a few MB). */
const RING_SIZE = 8192;
/** Rows read per query. */
const PAGE = 1000;
/** PostgreSQL: how often the feed reads without a notification (a lost NOTIFY costs at most this). */
const PG_POLL_MS = 1000;
/** PostgreSQL: how soon it reads again while an older transaction holds a row back. */
const BLOCKED_RETRY_MS = 5;

export interface Snapshot<T> {
  /** The log position the value is as of: live changes continue after it. */
  position: number;
  /** Changes after `position` the value already holds (PostgreSQL: committed before the snapshot, not yet deliverable). */
  skip: ReadonlySet<number>;
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
  private listener: { end(): Promise<void> } | undefined;
  private closed = false;
  /** Bumped by stop(): a start still under way when it was stopped undoes itself. */
  private generation = 0;

  constructor(private readonly sequelize: Sequelize) {
    this.postgres = sequelize.getDialect() === 'postgres';
    this.sql = sqlRunner(sequelize);
  }

  /** The last change read (deliverable changes up to here are known). */
  get frontier(): number {
    return this.frontierSeq;
  }

  /** Counts a watcher; the first starts the reading, the last stops it. Returns the detach. */
  attach(): { ready: Promise<void>; detach: () => void } {
    this.watchers++;
    if (this.watchers === 1) this.start();
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
    // The first entry with seq > after: a binary search, the ring being in seq order.
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid].seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.ring.slice(lo, lo + max);
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
   * Deliverable changes after `after` from the database (for a watcher behind the ring), or
   * 'expired' when pruning has removed some of them.
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
   * `read` in one consistent snapshot of the database, with the log position it is as of.
   * SQLite: inside a write-queue transaction (the reads see exactly the commits before it).
   * PostgreSQL: a REPEATABLE READ, READ ONLY transaction; the position is the last
   * deliverable change in it, and changes past it that it already sees go to `skip`.
   */
  async snapshot<T>(read: (transaction: Transaction) => Promise<T>): Promise<Snapshot<T>> {
    if (!this.postgres) {
      return atomic(this.sequelize, async (transaction) => {
        const [top] = await this.sql.all<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM ${CHANGES_TABLE}`, [], transaction);
        const position = top?.seq ?? (await prunedThrough(this.sequelize, transaction));
        return { position: Number(position), skip: new Set<number>(), value: await read(transaction) };
      });
    }
    return this.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ, readOnly: true } as never, async (transaction) => {
      const position = await this.head(transaction);
      const seen = await this.sql.all<{ seq: string }>(`SELECT seq FROM ${CHANGES_TABLE} WHERE seq > ? ORDER BY seq`, [position], transaction);
      return { position, skip: new Set(seen.map((row) => Number(row.seq))), value: await read(transaction) };
    });
  }

  /** Stops reading for good (the database is being closed). */
  async close(): Promise<void> {
    this.closed = true;
    this.stop();
  }

  /**
   * The last deliverable position: the newest change no older transaction can still
   * precede (PostgreSQL), or the newest change (SQLite); the pruned mark when the log is empty.
   */
  async head(transaction?: Transaction): Promise<number> {
    const blocked = this.postgres
      ? `WHERE seq < COALESCE((SELECT MIN(seq) FROM ${CHANGES_TABLE} WHERE xmax_at > pg_snapshot_xmin(pg_current_snapshot())::text::bigint), 9223372036854775807)`
      : '';
    const [top] = await this.sql.all<{ seq: number | string | null }>(`SELECT MAX(seq) AS seq FROM ${CHANGES_TABLE} ${blocked}`, [], transaction);
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
    for (const wake of [...this.waiters]) wake();
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
    let next = this.postgres ? PG_POLL_MS : state.settings.pollMs;
    try {
      do {
        this.again = false;
        const { read, blocked } = await this.readMore();
        if (blocked) next = BLOCKED_RETRY_MS;
        if (read === PAGE && !blocked) this.again = true;
      } while (this.again && this.watchers > 0);
    } catch (err) {
      state.settings.logger?.warn('reading the change log failed; retrying', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.polling = false;
      this.schedule(next);
    }
  }

  /** One page past the frontier into the ring; stops at the first row not deliverable yet. */
  private async readMore(): Promise<{ read: number; blocked: boolean }> {
    const horizon = this.postgres ? 'pg_snapshot_xmin(pg_current_snapshot())::text::bigint' : '0';
    const rows = await this.sql.all<ChangeRow>(
      `SELECT seq, topic, key, kind, data, xmax_at, ${horizon} AS horizon FROM ${CHANGES_TABLE} WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`,
      [this.frontierSeq],
    );
    let blocked = false;
    const added: Change[] = [];
    for (const row of rows) {
      if (Number(row.xmax_at) > Number(row.horizon)) {
        blocked = true;
        break;
      }
      added.push(toChange(row));
    }
    if (added.length > 0) {
      this.ring.push(...added);
      this.frontierSeq = added[added.length - 1].seq;
      if (this.ring.length > RING_SIZE) {
        const dropped = this.ring.splice(0, this.ring.length - RING_SIZE);
        this.floor = dropped[dropped.length - 1].seq;
      }
      for (const wake of [...this.waiters]) wake();
    }
    return { read: rows.length, blocked };
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

function toChange(row: ChangeRow): Change {
  return { seq: Number(row.seq), topic: row.topic, key: row.key, kind: row.kind, message: JSON.parse(row.data) as object };
}

const feeds = new WeakMap<Sequelize, ChangeFeed>();

/** This process's feed of a database's change log. */
export function changeFeed(sequelize: Sequelize): ChangeFeed {
  let feed = feeds.get(sequelize);
  if (!feed) feeds.set(sequelize, (feed = new ChangeFeed(sequelize)));
  return feed;
}
