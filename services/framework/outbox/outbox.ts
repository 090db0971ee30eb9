/**
 * The transactional outbox: a change that must reach another service is written to the
 * `mgrpc_outbox` table in the same local transaction as the change itself, and a relay in
 * every process of the service delivers it, retrying with backoff until the receiver
 * acknowledges. Nothing committed is lost whichever process is down; delivery is at least
 * once, and each call carries an idempotency key and a sequence (sync/metadata.ts) so a
 * receiver written with `applyOnce` applies it exactly once and in order.
 *
 * The process that enqueues an entry delivers it right after commit (no polling delay);
 * the polling loop picks up everything else: retries, entries queued behind an older change
 * of the same entity, and entries whose process died.
 *
 * A topic registered with `handleBatch` is delivered many entries per call: those due
 * together (committed together, or claimed together) go to its handler at once, each with
 * its own idempotency key for the receiver, and each is settled on its own answer. One call
 * per change costs both sides a stream, metadata and interceptors, which under load is
 * much of a small change's cost. Such topics take no ordering key.
 *
 * @example
 *   outbox.handle('product.sync', (change, { metadata }) => receiver.Update(change, { metadata }));
 *   await atomic(sequelize, async (t) => {
 *     const product = await Product.create(data, { transaction: t });
 *     await outbox.enqueue(t, { topic: 'product.sync', payload: toMessage(product), orderingKey: product.id });
 *   });
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import type { Sequelize, Transaction } from 'sequelize';

import { envInt } from '../config.js';
import { chunks } from '../db/sql.js';
import { AppError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { currentRequestId, runWithRequestId } from '../observability/request-context.js';
import { retryDelay, type RetryBackoff } from './backoff.js';
import { IDEMPOTENCY_KEY, ORIGIN, SEQUENCE } from '../sync/metadata.js';
import { Outcomes, type DeliveryOutcome } from './outcomes.js';
import { pruneInbox } from '../inbox/apply-once.js';
import { OutboxStore, type NewRow, type OutboxRow, type StoredEntry, type TopicStats } from './store.js';

export interface OutboxEntry<P = unknown> {
  id: number;
  topic: string;
  payload: P;
  idempotencyKey: string;
  orderingKey: string | null;
  /** Earlier attempts that failed. */
  attempts: number;
}

export interface DeliveryContext {
  /** Idempotency key, sequence and origin: pass it on the outgoing call. */
  metadata: grpc.Metadata;
  entry: OutboxEntry;
}

/** Delivers one entry; resolves when the receiver acknowledged it, throws otherwise. */
export type Deliver<P = any, R = unknown> = (payload: P, context: DeliveryContext) => Promise<R>;

/** One entry of a batch: its payload and, should the handler fall back to one call per entry, that call's context. */
export interface BatchItem<P = unknown> extends DeliveryContext {
  payload: P;
}

/**
 * Delivers several entries of a topic in one call. Answers each, in order: its result
 * (acknowledged) or an Error (that entry alone is refused or retried, by the same rules as
 * a single delivery's error). Throwing retries every entry of the call, whatever the error:
 * a refusal of the whole call says nothing about each entry.
 */
export type DeliverMany<P = any, R = unknown> = (items: readonly BatchItem<P>[]) => Promise<(R | Error)[]>;

export interface EnqueueOptions<P> {
  topic: string;
  payload: P;
  /** Names the change for the receiver's deduplication; a fresh UUID by default. */
  idempotencyKey?: string;
  /** Entries with the same key are delivered one at a time, in commit order (e.g. `product:<id>`). */
  orderingKey?: string;
  /** The request the change belongs to, for its delivery's logs (default: the current one). */
  requestId?: string;
}

export interface OutboxOptions {
  logger: Logger;
  /** How long a claim lasts before another relay may take the entry (default 15 s). */
  leaseMs?: number;
  /** How often the relay looks for due entries it was not told about (default 500 ms). */
  pollMs?: number;
  backoff?: RetryBackoff;
  /** Entries being delivered at once per process, a batch call counting each of its entries (default 64). */
  concurrency?: number;
  /** How long this service remembers applied idempotency keys as a receiver (default 7 days). */
  inboxRetentionMs?: number;
  /**
   * How long a delivered row without an ordering key may stay before it is deleted
   * (default 50 ms). An enqueue that finds a few such rows deletes them in its own
   * transaction; a timer takes the rest.
   */
  flushDelayMs?: number;
  /** Told the outcome of every delivery attempt (for metrics). */
  onDelivery?: (topic: string, result: 'delivered' | 'retry' | 'failed') => void;
}

/** Reads the relay's settings from MGRPC_OUTBOX_* variables (see docs/guarantees.md). */
export function outboxOptionsFromEnv(env: NodeJS.ProcessEnv, logger: Logger): OutboxOptions {
  return {
    logger,
    leaseMs: envInt('MGRPC_OUTBOX_LEASE_MS', 15_000, env),
    pollMs: envInt('MGRPC_OUTBOX_POLL_MS', 500, env),
    backoff: { initialMs: envInt('MGRPC_OUTBOX_INITIAL_BACKOFF_MS', 200, env), maxMs: envInt('MGRPC_OUTBOX_MAX_BACKOFF_MS', 5000, env) },
    concurrency: envInt('MGRPC_OUTBOX_CONCURRENCY', 64, env),
    inboxRetentionMs: envInt('MGRPC_INBOX_RETENTION_HOURS', 7 * 24, env) * 3_600_000,
  };
}

// The receiver understood the change and refused it: retrying cannot help, and the entry
// must not hold back later changes of its entity. Everything else (unavailable, deadline,
// internal, unauthenticated while auth is being fixed) is retried.
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION']);

const BATCH = 64;

/** The most entries one batch delivery carries. */
const MAX_DELIVERY_BATCH = 64;

// How long delivered unordered rows may wait to be deleted. Meanwhile the next enqueue
// deletes them in its own transaction (one more statement there, no transaction of their
// own); when nothing is enqueued, a timer deletes them together.
const FLUSH_DELAY_MS = 50;
const PIGGYBACK_MIN_ROWS = 4;

// Request ids of entries this process enqueued, kept in memory only (no column): a delivery
// by this process, first try or retry, carries the id of the request that made the change;
// one by another relay (this process died) carries none. Bounded, oldest forgotten first.
const MAX_REMEMBERED_REQUEST_IDS = 10_000;

export class Outbox {
  readonly store: OutboxStore;
  /** Names this process's leases. */
  readonly owner = randomUUID();
  private readonly handlers = new Map<string, Deliver>();
  private readonly batchHandlers = new Map<string, DeliverMany>();
  private readonly outcomes = new Outcomes();
  private readonly collector = new AsyncLocalStorage<number[]>();
  private readonly inflight = new Map<number, Promise<void>>();
  /** Delivered ordered rows, deleted at once (their entity's next change waits for it). */
  private readonly delivered: number[] = [];
  /** Delivered unordered rows, deleted with an enqueue or by the flush timer. */
  private readonly looseDelivered: number[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly backoff: RetryBackoff;
  private readonly concurrency: number;
  private origin: string | undefined;
  private readonly inboxRetentionMs: number;
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private running = false;
  private starting = false;
  /** The look for due entries under way, if any. */
  private pumping: Promise<void> | undefined;
  private again = false;
  private lastWarning = 0;
  private readonly requestIds = new Map<number, string>();
  private readonly onDelivery: OutboxOptions['onDelivery'];
  private readonly flushDelayMs: number;

  constructor(
    readonly sequelize: Sequelize,
    options: OutboxOptions,
  ) {
    this.store = new OutboxStore(sequelize);
    this.logger = options.logger;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 500;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 5000 };
    this.concurrency = options.concurrency ?? 64;
    this.inboxRetentionMs = options.inboxRetentionMs ?? 7 * 24 * 3_600_000;
    this.onDelivery = options.onDelivery;
    this.flushDelayMs = options.flushDelayMs ?? FLUSH_DELAY_MS;
  }

  /** Registers how entries of a topic are delivered (once per topic, in the service's setup). */
  handle<P, R>(topic: string, deliver: Deliver<P, R>): void {
    if (this.handlers.has(topic) || this.batchHandlers.has(topic)) throw new Error(`outbox topic '${topic}' already has a handler`);
    this.handlers.set(topic, deliver as Deliver);
  }

  /** Registers a topic delivered many entries per call (see DeliverMany); its entries take no ordering key. */
  handleBatch<P, R>(topic: string, deliverMany: DeliverMany<P, R>): void {
    if (this.handlers.has(topic) || this.batchHandlers.has(topic)) throw new Error(`outbox topic '${topic}' already has a handler`);
    this.batchHandlers.set(topic, deliverMany as DeliverMany);
  }

  /**
   * Records a change for delivery, inside the caller's transaction: it is delivered if and
   * only if that transaction commits. Returns the entry id, for `waitFor`.
   */
  async enqueue<P>(transaction: Transaction, options: EnqueueOptions<P>): Promise<number> {
    const [id] = await this.enqueueMany(transaction, [options]);
    return id;
  }

  /**
   * Records several changes at once (one INSERT per 64), in the given order: what a batch
   * of coalesced writes uses. Returns their entry ids in that order.
   */
  async enqueueMany<P>(transaction: Transaction, list: readonly EnqueueOptions<P>[]): Promise<number[]> {
    for (const options of list) {
      const batched = this.batchHandlers.has(options.topic);
      if (!batched && !this.handlers.has(options.topic)) throw new Error(`outbox topic '${options.topic}' has no handler; register one with outbox.handle()`);
      // A batch carries changes of many entities at once and settles them independently.
      if (batched && options.orderingKey !== undefined) throw new Error(`outbox topic '${options.topic}' is delivered in batches and takes no orderingKey`);
    }
    const now = Date.now();
    const requestId = currentRequestId();
    const queuedHere = new Set<string>();
    const plans: { row: NewRow; direct: boolean; failing: boolean; requestId: string | undefined }[] = [];
    for (const options of list) {
      const orderingKey = options.orderingKey ?? null;
      // Deliver at once unless an older change of the same entity is still waiting (in the
      // table, or earlier in this list).
      let before: { failing: boolean } | undefined;
      if (orderingKey !== null) before = queuedHere.has(orderingKey) ? { failing: false } : await this.store.pendingFor(orderingKey, transaction);
      if (orderingKey !== null) queuedHere.add(orderingKey);
      const direct = this.running && before === undefined;
      plans.push({
        row: {
          topic: options.topic,
          payload: JSON.stringify(options.payload),
          idempotencyKey: options.idempotencyKey ?? randomUUID(),
          orderingKey,
          leaseOwner: direct ? this.owner : null,
          leaseUntil: direct ? now + this.leaseMs : null,
          now,
        },
        direct,
        failing: before?.failing ?? false,
        requestId: options.requestId ?? requestId,
      });
    }
    const ids = await this.store.insert(
      plans.map((plan) => plan.row),
      transaction,
    );
    // Rows delivered since the last flush leave with this transaction, once there are a few:
    // one more statement here saves a transaction of their own, but for a row or two (a
    // lone request at a time) it would only lengthen this request; the timer takes those.
    // Should this transaction roll back, they stay leased and are delivered again after the
    // lease (the receiver's inbox answers): a cost only on failure.
    if (this.looseDelivered.length >= PIGGYBACK_MIN_ROWS) await this.store.complete(this.looseDelivered.splice(0), transaction);
    // writeThrough waits only for entries whose transaction committed.
    const collected = this.collector.getStore();
    transaction.afterCommit(() => {
      let kick = false;
      const due: OutboxRow[] = [];
      for (const [i, { row, direct, failing, requestId: request }] of plans.entries()) {
        const id = ids[i];
        collected?.push(id);
        if (request !== undefined) this.rememberRequestId(id, request);
        if (direct) due.push({ id, topic: row.topic, payload: row.payload, idempotencyKey: row.idempotencyKey, orderingKey: row.orderingKey, attempts: 0 });
        else kick = true;
        // Queued behind a change the receiver has not taken yet: no point in waiting for it.
        if (failing) this.outcomes.settle(id, { status: 'pending' });
      }
      this.deliverAll(due);
      if (kick) this.kick();
    });
    return ids;
  }

  /**
   * Removes an entry in the caller's transaction, for a sender that undoes the change it
   * recorded (the receiver refused it for good and the caller was told so).
   */
  discard(transaction: Transaction, id: number): Promise<void> {
    this.requestIds.delete(id);
    return this.store.discard(id, transaction);
  }

  /** The first delivery attempt's outcome, or `pending` after `timeoutMs`. */
  waitFor<R = unknown>(id: number, timeoutMs: number): Promise<DeliveryOutcome<R>> {
    return this.outcomes.wait(id, timeoutMs) as Promise<DeliveryOutcome<R>>;
  }

  /**
   * Runs a write, then waits up to `timeoutMs` for the first delivery attempt of every entry
   * it enqueued: callers read their own writes on the other service whenever it is up, and
   * are answered anyway, a little later, when it is not (the entries stay queued).
   */
  async writeThrough<T>(write: () => Promise<T>, timeoutMs: number): Promise<{ result: T; outcomes: DeliveryOutcome[] }> {
    const ids: number[] = [];
    const result = await this.collector.run(ids, write);
    const outcomes = await Promise.all(ids.map((id) => this.waitFor(id, timeoutMs)));
    return { result, outcomes };
  }

  async start(): Promise<void> {
    if (this.running || this.starting) return;
    this.starting = true;
    try {
      this.origin = await this.store.origin();
    } finally {
      this.starting = false;
    }
    this.running = true;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.pruneTimer = setInterval(() => {
      pruneInbox(this.sequelize, this.inboxRetentionMs).catch((err: unknown) => this.warn('outbox: could not prune the inbox', err));
    }, 3_600_000);
    this.pruneTimer.unref();
    this.kick();
  }

  /**
   * Stops claiming, waits up to `graceMs` for deliveries in flight, records their results,
   * and gives back this process's leases so another relay takes over without waiting.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      // A look under way may still hand out deliveries: wait for it first, then for them.
      (async () => {
        await this.pumping?.catch(() => undefined);
        await Promise.allSettled([...this.inflight.values()]);
      })(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    await this.flush();
    await this.store.release(this.owner).catch((err: unknown) => this.logger.warn('outbox: could not release leases', { error: String(err) }));
  }

  stats(): Promise<TopicStats[]> {
    return this.store.stats();
  }

  /** The topics this process delivers (registered with `handle` or `handleBatch`). */
  topics(): string[] {
    return [...this.handlers.keys(), ...this.batchHandlers.keys()];
  }

  entries(limit = 100): Promise<StoredEntry[]> {
    return this.store.entries(limit);
  }

  /** Looks for due entries now (coalesces with a look already under way). */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      const room = Math.min(BATCH, this.concurrency - this.inflight.size);
      if (room <= 0 || !this.running) return;
      let rows: OutboxRow[];
      try {
        // Most looks find nothing due: those take no write lock.
        if (!(await this.store.anyDue(Date.now()))) continue;
        // Stopped meanwhile: claim nothing more.
        if (!this.running) return;
        rows = await this.store.claim(this.owner, Date.now(), this.leaseMs, room);
      } catch (err) {
        this.warn('outbox: could not claim entries (will retry)', err);
        return;
      }
      this.deliverAll(rows);
      if (rows.length === room) this.again = true;
    } while (this.again && this.running);
  }

  /** Starts delivering rows: one call each, or, for batch topics, one call per topic and up to 64 rows. */
  private deliverAll(rows: readonly OutboxRow[]): void {
    const batches = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      if (this.inflight.has(row.id)) continue;
      if (!this.batchHandlers.has(row.topic)) {
        this.track([row], this.attempt(row));
        continue;
      }
      let batch = batches.get(row.topic);
      if (!batch) batches.set(row.topic, (batch = []));
      batch.push(row);
    }
    for (const [topic, batch] of batches) {
      for (const part of chunks(batch, MAX_DELIVERY_BATCH)) this.track(part, this.attemptBatch(topic, part));
    }
  }

  /** Counts rows in flight until their attempt settles. */
  private track(rows: readonly OutboxRow[], attempt: Promise<void>): void {
    const settled = attempt.finally(() => {
      const wasFull = this.inflight.size >= this.concurrency;
      for (const row of rows) this.inflight.delete(row.id);
      // The next change of an entity, or entries that waited for room.
      if (wasFull || rows.some((row) => row.orderingKey !== null)) this.kick();
    });
    for (const row of rows) this.inflight.set(row.id, settled);
  }

  private async attempt(row: OutboxRow): Promise<void> {
    const handler = this.handlers.get(row.topic);
    try {
      if (!handler) throw new AppError('UNIMPLEMENTED', `no handler for outbox topic '${row.topic}' in this process`);
      const item = this.itemOf(row);
      // Explicitly this entry's request (or none): a delivery started while some other
      // request's work was on the async path must not be logged as that request's.
      const result = await runWithRequestId(this.requestIds.get(row.id), () => handler(item.payload, item));
      await this.acknowledged(row, result);
    } catch (err) {
      await this.refused(row, err);
    }
  }

  private async attemptBatch(topic: string, rows: readonly OutboxRow[]): Promise<void> {
    const handler = this.batchHandlers.get(topic)!;
    // A row that cannot be read (a corrupt payload) is retried alone; it does not hold back the rest.
    const items: BatchItem[] = [];
    const sent: OutboxRow[] = [];
    const unread: Promise<void>[] = [];
    for (const row of rows) {
      try {
        items.push(this.itemOf(row));
        sent.push(row);
      } catch (err) {
        unread.push(this.refused(row, new AppError('INTERNAL', `outbox entry ${row.id} has an unreadable payload`, { cause: err })));
      }
    }
    let answers: unknown[];
    try {
      // Logged under the entries' request when they share one (a lone like), else under none.
      const requestId = this.requestIds.get(sent[0]?.id);
      const shared = sent.every((row) => this.requestIds.get(row.id) === requestId) ? requestId : undefined;
      answers = sent.length === 0 ? [] : await runWithRequestId(shared, () => handler(items));
      // A bug in the handler, not the receiver's answer: retried, and named in each entry's last error.
      if (answers.length !== sent.length) throw new AppError('INTERNAL', `the batch handler of '${topic}' answered ${answers.length} of ${sent.length} entries`);
    } catch (err) {
      const error = AppError.from(err);
      // Even a permanent status, for the call as a whole, is no entry's refusal: all are retried.
      const retried = PERMANENT.has(error.code) ? new AppError('INTERNAL', `the batch call was refused as a whole (${error.code}: ${error.message})`, { cause: err }) : error;
      answers = sent.map(() => retried);
    }
    await Promise.all([...unread, ...sent.map((row, i) => (answers[i] instanceof Error ? this.refused(row, answers[i]) : this.acknowledged(row, answers[i])))]);
  }

  /** What a handler gets for a row: its payload, and the metadata a call carrying it alone needs (built when asked for). */
  private itemOf(row: OutboxRow): BatchItem {
    const entry: OutboxEntry = { ...row, payload: JSON.parse(row.payload) };
    const origin = this.origin ?? '';
    let metadata: grpc.Metadata | undefined;
    return {
      payload: entry.payload,
      entry,
      get metadata() {
        if (!metadata) {
          metadata = new grpc.Metadata();
          metadata.set(IDEMPOTENCY_KEY, row.idempotencyKey);
          metadata.set(SEQUENCE, String(row.id));
          metadata.set(ORIGIN, origin);
        }
        return metadata;
      },
    };
  }

  private async acknowledged(row: OutboxRow, result: unknown): Promise<void> {
    this.requestIds.delete(row.id);
    this.onDelivery?.(row.topic, 'delivered');
    if (row.orderingKey === null) {
      // Nothing waits for this row to leave the table: it is deleted later, with others
      // (flushDelayMs). Should this process die first, the row is delivered again after
      // its lease and the receiver's inbox answers it.
      this.looseDelivered.push(row.id);
      this.outcomes.settle(row.id, { status: 'delivered', result });
      this.flushSoon();
    } else {
      // An entity's next change may be claimed only once this row has left the queue, so
      // ordered rows announce their outcome after the delete.
      this.delivered.push(row.id);
      await this.flush();
      this.outcomes.settle(row.id, { status: 'delivered', result });
    }
  }

  private async refused(row: OutboxRow, err: unknown): Promise<void> {
    const error = AppError.from(err);
    const why = `${error.code}: ${error.message}`;
    if (PERMANENT.has(error.code)) {
      this.requestIds.delete(row.id);
      this.onDelivery?.(row.topic, 'failed');
      this.logger.warn('outbox: the receiver refused an entry for good; marked failed (unless its sender undoes the change)', { topic: row.topic, id: row.id, error: why });
      await this.store.fail(row.id, why).catch((e: unknown) => this.warn('outbox: could not record a failure', e));
      this.outcomes.settle(row.id, { status: 'failed', error });
    } else {
      this.onDelivery?.(row.topic, 'retry');
      const next = Date.now() + retryDelay(row.attempts, this.backoff);
      this.warn(`outbox: delivery failed, will retry (${why})`, undefined, { topic: row.topic, id: row.id, attempts: row.attempts + 1 });
      await this.store.retry(row.id, next, why).catch((e: unknown) => this.warn('outbox: could not schedule a retry', e));
      this.outcomes.settle(row.id, { status: 'pending', error });
    }
  }

  private flushSoon(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.flushDelayMs);
    this.flushTimer.unref();
  }

  /** Deletes delivered rows in one statement for everything acknowledged meanwhile. */
  private flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const waiting = () => this.delivered.length + this.looseDelivered.length > 0;
    if (this.flushing) return this.flushing.then(() => (waiting() ? this.flush() : undefined));
    if (!waiting()) return Promise.resolve();
    const ids = [...this.delivered.splice(0), ...this.looseDelivered.splice(0)];
    this.flushing = this.store
      .complete(ids)
      .catch((err: unknown) => {
        // The rows stay leased and are delivered again after the lease: harmless, the
        // receiver deduplicates by idempotency key.
        this.warn('outbox: could not record deliveries', err);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  private rememberRequestId(id: number, requestId: string): void {
    if (this.requestIds.size >= MAX_REMEMBERED_REQUEST_IDS) this.requestIds.delete(this.requestIds.keys().next().value!);
    this.requestIds.set(id, requestId);
  }

  // A receiver that is down fails every delivery; one line per few seconds is enough.
  private warn(message: string, err?: unknown, fields: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now - this.lastWarning < 5000) {
      this.logger.debug(message, { ...fields, error: err === undefined ? undefined : String(err) });
      return;
    }
    this.lastWarning = now;
    this.logger.warn(message, { ...fields, ...(err === undefined ? {} : { error: err instanceof Error ? err.message : String(err) }) });
  }
}
