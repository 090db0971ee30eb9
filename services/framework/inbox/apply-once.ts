/**
 * The receiving half of the outbox: `applyOnce` wraps a gRPC handler so a relayed change
 * is applied exactly once and in order, in one local transaction with its bookkeeping:
 *
 * - an idempotency key already in `mgrpc_inbox` means "done before": the recorded
 *   response is returned and nothing runs again (a redelivery after a lost reply);
 * - with an `orderingKey`, a change older than the newest one applied to the same entity
 *   (by the sender's sequence) is acknowledged and ignored, and after a `final` change
 *   (a delete) every later one is ignored too.
 *
 * Calls without the metadata (the tutorial's own clients, grpcurl) are applied as they
 * come, so the wire contract is unchanged.
 *
 * @example
 *   Delete: applyOnce({ sequelize, orderingKey: (req) => `product:${req.productId}`, final: true },
 *     async ({ productId }) => { await products.destroy(productId); return {}; }),
 */
import type { Sequelize } from 'sequelize';

import { atomic } from '../db/atomic.js';
import { sqlRunner, UniqueViolation } from '../db/sql.js';
import { AppError } from '../errors.js';
import type { CallContext, UnaryHandler } from '../grpc/define-service.js';
import { IDEMPOTENCY_KEY, ORIGIN, SEQUENCE } from '../sync/metadata.js';
import { INBOX_TABLE, ORDERING_TABLE } from '../sync/tables.js';

export interface ApplyOnceOptions<Req> {
  sequelize: Sequelize;
  /** The entity the request changes (e.g. `product:<id>`): its changes apply in sequence order. */
  orderingKey?: (request: Req) => string | undefined;
  /** This change ends the entity (a delete): later changes to it are ignored. */
  final?: boolean;
}

function first(call: CallContext, key: string): string | undefined {
  const value = call.metadata.get(key)[0];
  return value === undefined || value === '' ? undefined : String(value);
}

function sequenceOf(call: CallContext): number | undefined {
  const raw = first(call, SEQUENCE);
  if (raw === undefined) return undefined;
  const sequence = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(sequence)) throw new AppError('INVALID_ARGUMENT', `${SEQUENCE} metadata must be a non-negative integer`);
  return sequence;
}

/**
 * The PostgreSQL advisory lock a change without an ordering key is applied under: applyOnce
 * and applyOnceBatched take the same one, so two deliveries of a change never overlap.
 */
export function changeLockName(idempotencyKey: string): string {
  return `key/${idempotencyKey}`;
}

const MAX_KEY_LENGTH = 200;
// What gRPC metadata can carry (printable ASCII): a key from a message must fit in metadata
// too (a single call's), and PostgreSQL refuses a NUL in text, which would fail the batch.
const KEY_CHARACTERS = /^[\x20-\x7e]*$/;

/** The call's idempotency key (checked), or undefined for a call without one. */
export function idempotencyKeyOf(call: CallContext): string | undefined {
  return checkedIdempotencyKey(first(call, IDEMPOTENCY_KEY), `${IDEMPOTENCY_KEY} metadata`);
}

/** An idempotency key from metadata or from a message (`where` names it in the error); empty means none. */
export function checkedIdempotencyKey(key: string | undefined, where: string): string | undefined {
  if (key === undefined || key === '') return undefined;
  if (key.length > MAX_KEY_LENGTH) throw new AppError('INVALID_ARGUMENT', `${where} is longer than ${MAX_KEY_LENGTH} characters`);
  if (!KEY_CHARACTERS.test(key)) throw new AppError('INVALID_ARGUMENT', `${where} may hold only printable ASCII characters`);
  return key;
}

export function applyOnce<Req, Res>(options: ApplyOnceOptions<Req>, handler: UnaryHandler<Req, Res>): UnaryHandler<Req, Res> {
  const { sequelize } = options;
  const qi = sequelize.getQueryInterface();
  const inbox = qi.quoteIdentifier(INBOX_TABLE);
  const ordering = qi.quoteIdentifier(ORDERING_TABLE);
  const sql = sqlRunner(sequelize);
  const lockEntity = sequelize.getDialect() === 'postgres' ? 'SELECT pg_advisory_xact_lock(hashtextextended(?, 0)) AS locked' : undefined;

  return async (request, call) => {
    const key = idempotencyKeyOf(call);
    // Nothing to record: the handler's own statements are atomic (a resource write opens its transaction).
    if (key === undefined) return handler(request, call);
    const sequence = sequenceOf(call);
    const entity = options.orderingKey?.(request);
    const orderKey = entity === undefined || sequence === undefined ? undefined : `${first(call, ORIGIN) ?? ''}/${entity}`;

    return atomic(sequelize, async (transaction) => {
      // PostgreSQL applies deliveries in parallel: two of one entity (a retry overtaking a
      // slow first attempt, two relays), or two of one change, take turns here, even before
      // the entity has an ordering row to lock, and the second then sees what the first
      // recorded. SQLite runs one write transaction at a time already.
      if (lockEntity) await sql.all(lockEntity, [orderKey ?? changeLockName(key)], transaction);
      const [seen] = await sql.all<{ response: string }>(`SELECT response FROM ${inbox} WHERE key = ?`, [key], transaction);
      if (seen) return JSON.parse(seen.response) as Res;

      let response: Res;
      const [applied] = orderKey
        ? await sql.all<{ sequence: unknown; final: unknown }>(`SELECT sequence, final FROM ${ordering} WHERE key = ?`, [orderKey], transaction)
        : [];
      const stale = applied !== undefined && (Boolean(applied.final) || Number(applied.sequence) >= sequence!);
      if (stale) {
        response = {} as Res;
      } else {
        response = await handler(request, call);
        if (orderKey) {
          await sql.all(
            `INSERT INTO ${ordering} (key, sequence, final, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET sequence = excluded.sequence, final = excluded.final, updated_at = excluded.updated_at RETURNING key`,
            [orderKey, sequence!, options.final === true, Date.now()],
            transaction,
          );
        }
      }
      const record = [key, JSON.stringify(response ?? {}), Date.now()];
      await sql.all(`INSERT INTO ${inbox} (key, response, created_at) VALUES (?, ?, ?) RETURNING key`, record, transaction).catch((err: unknown) => {
        // Two deliveries of one change raced (two relays, or a retry overtaking a slow
        // first attempt) and the other committed first. This one rolls back; the
        // sender retries and receives the recorded answer.
        if (err instanceof UniqueViolation) throw new AppError('UNAVAILABLE', 'the same change is being applied concurrently; retry', { cause: err });
        throw err;
      });
      return response;
    });
  };
}

/** Deletes inbox records older than `maxAgeMs` (a redelivery after that would apply again). */
export async function pruneInbox(sequelize: Sequelize, maxAgeMs: number): Promise<number> {
  const inbox = sequelize.getQueryInterface().quoteIdentifier(INBOX_TABLE);
  const rows = await atomic(sequelize, (transaction) => sqlRunner(sequelize).all(`DELETE FROM ${inbox} WHERE created_at < ? RETURNING key`, [Date.now() - maxAgeMs], transaction));
  return rows.length;
}
