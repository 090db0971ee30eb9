/**
 * product.ProductService on the dashboard. A like is an atomic
 * `UPDATE … SET likes = likes + n … RETURNING`: concurrent likes can never overwrite each
 * other, unlike the tutorial's read-modify-write.
 *
 * Likes that arrive while a batch is being written are written together
 * (`applyOnceBatched`): one statement per product, and each caller gets its own count back,
 * as if they had been applied one by one. Each like is a change in the log (WatchProducts),
 * with the count it made. On SQLite a trigger writes those rows inside the UPDATE
 * (framework/watch/counter-log.ts), so a batch of plain likes of one product is that one
 * autocommit statement. A batch with idempotency keys or of several products is a transaction
 * (the trigger still writes its rows); on PostgreSQL every batch is one, and writes its rows
 * itself.
 * - A like relayed by the product service's outbox carries an idempotency key: the batch
 *   runs in a transaction with the inbox records, so a redelivery is counted once.
 * - A plain call (the tutorial's clients, grpcurl) is applied as it comes, in a batch too.
 * - LikeProducts carries many relayed likes in one call, each with its own idempotency key
 *   in the message; they join the same batch and each is answered (or refused) on its own.
 *
 * ListProducts is the framework's generic List over the products resource: the same search,
 * filters and ordering as GET /api/products.
 */
import type { Transaction } from 'sequelize';

import {
  AppError,
  applyOnceBatched,
  atomic,
  changesCommitted,
  chunks,
  defineService,
  inWriteTurn,
  listAction,
  recordChanges,
  rowView,
  sqlRunner,
  sqlTimestamp,
  sqlTuples,
  watchAction,
  type ChangeRecord,
  type Row,
} from '../../framework/index.js';
import { proto } from '../../stubs/index.js';
import type { LikeProductResponse } from '../../stubs/product/LikeProductResponse.js';
import type { DashboardContext } from '../context.js';
import { productSerializer } from '../serializers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const NO_REFUSALS: ReadonlyMap<string, AppError> = new Map();

/** The most likes one LikeProducts call may carry (the relay sends at most 64), counted before decoding. */
const MAX_LIKES_PER_CALL = 1000;

export function productService({ products, models, likesLogged }: DashboardContext) {
  const Product = products.model;
  const sequelize = products.sequelize;
  const table = sequelize.getQueryInterface().quoteIdentifier(Product.getTableName() as string);
  // The hot path: prepared statements, not ORM queries (see framework/db/sql.ts).
  const sql = sqlRunner(sequelize);
  const addLikes = `UPDATE ${table} SET likes = likes + ?, updated_at = ? WHERE id = ? RETURNING *`;

  const usersTable = sequelize.getQueryInterface().quoteIdentifier(models.User.getTableName() as string);

  /** The named users this dashboard does not know (or whose ids are not UUIDs), with why: one query per 64 users. */
  const unknownUsers = async (requests: { userId?: string }[], transaction: Transaction | undefined): Promise<Map<string, AppError>> => {
    const unknown = new Map<string, AppError>();
    const asked: string[] = [];
    for (const userId of new Set(requests.map((r) => r.userId).filter((id): id is string => !!id))) {
      if (UUID.test(userId)) asked.push(userId);
      else unknown.set(userId, AppError.invalid('user_id', `'${userId.slice(0, 64)}' is not a valid UUID`));
    }
    const known = new Set<string>();
    for (const part of chunks(asked)) {
      const rows = await sql.all<{ id: string }>(`SELECT id FROM ${usersTable} WHERE id IN (${sqlTuples(part.length)})`, part.map((id) => id.toLowerCase()), transaction);
      for (const row of rows) known.add(String(row.id).toLowerCase());
    }
    for (const userId of asked) if (!known.has(userId.toLowerCase())) unknown.set(userId, AppError.notFound(`user ${userId} not found`));
    return unknown;
  };

  /** Adds each request's like; every caller gets its own count, as if applied one by one. */
  const likeAll = async (requests: { id: string; userId?: string }[], open: Transaction | undefined): Promise<(LikeProductResponse | AppError)[]> => {
    // The tutorial's clients name no user: no lookup, and no promise for one.
    const refusedUsers = requests.some((request) => request.userId) ? await unknownUsers(requests, open) : NO_REFUSALS;
    const ids = requests.map((request) => {
      try {
        return (request.userId && refusedUsers.get(request.userId)) || products.parseLookup(request.id);
      } catch (err) {
        return AppError.from(err);
      }
    });
    const counts = new Map<string, number>();
    for (const id of ids) if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
    const now = sqlTimestamp(sequelize, new Date());
    // Each liked product as a message, built once per batch: for the log and for the answers.
    const messages = new Map<string, Record<string, unknown>>();
    /** A liked product's row: its message kept for the answers (and the log, when the like path writes it). */
    const liked = (found: Map<string, Row>, id: string, row: Row | undefined) => {
      if (!row) return undefined;
      found.set(id, row);
      const message = productSerializer.toMessage(rowView(Product, row));
      messages.set(id, message);
      return message;
    };
    /** Likes counted in a batch (the feed is told how many changes the trigger wrote). */
    const likesOf = (found: Map<string, Row>) => [...found.keys()].reduce((sum, id) => sum + counts.get(id)!, 0);
    const apply = async (transaction: Transaction) => {
      const found = new Map<string, Row>();
      const changes: ChangeRecord[] = [];
      // In id order: two batches that like the same products lock their rows in the same order.
      for (const [id, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const [row] = await sql.all(addLikes, [n, now, id], transaction);
        const message = liked(found, id, row);
        if (!row || !message || likesLogged) continue;
        // One change per like, with the count that like made, as watchers would see them one by
        // one: the row's other fields as JSON once, each like's count added to it.
        const after = Number(row.likes);
        const { likes: _likes, ...rest } = message;
        const head = JSON.stringify(rest);
        const prefix = head === '{}' ? '{' : `${head.slice(0, -1)},`;
        for (let k = n - 1; k >= 0; k--) changes.push({ topic: products.name, key: id, kind: 'updated', json: `${prefix}"likes":${after - k}}` });
      }
      // In the same transaction, as its last write: the log has a like if and only if it was counted.
      if (!likesLogged) await recordChanges(sequelize, transaction, changes);
      else if (found.size > 0) transaction.afterCommit(() => changesCommitted(sequelize, likesOf(found)));
      return found;
    };
    let rows: Map<string, Row>;
    if (likesLogged && !open && counts.size === 1) {
      // Plain likes of one product: one autocommit statement, its log rows written by the trigger.
      const [[id, n]] = counts;
      const [row] = await inWriteTurn(sequelize, () => sql.all(addLikes, [n, now, id]));
      rows = new Map();
      if (liked(rows, id, row)) changesCommitted(sequelize, n);
    } else rows = open ? await apply(open) : await atomic(sequelize, apply);
    // Hand out the counts in arrival order: the k-th like of a product in the batch sees
    // the count it would have seen had the batch been applied one like at a time.
    const given = new Map<string, number>();
    return ids.map((id) => {
      if (typeof id !== 'string') return id;
      const row = rows.get(id);
      if (!row) return AppError.notFound(`product ${id} not found`);
      const k = (given.get(id) ?? 0) + 1;
      given.set(id, k);
      return { product: { ...messages.get(id)!, likes: Number(row.likes) - counts.get(id)! + k } };
    });
  };

  const like = applyOnceBatched({ sequelize }, likeAll);

  return defineService(proto.product.ProductService.service, {
    LikeProduct: like,
    LikeProducts: async ({ likes }, call) => {
      const answers = await like.many(likes.map((one) => ({ request: { id: one.id, userId: one.userId }, key: one.idempotencyKey })));
      return {
        outcomes: answers.map((answer) => {
          if (!(answer instanceof AppError)) {
            call.countItem();
            return { product: answer.product };
          }
          call.countItem(answer);
          return { error: { code: answer.grpcStatus, message: answer.message } };
        }),
      };
    },
    ListProducts: listAction(products),
    WatchProducts: watchAction(products),
  }, { repeatedCaps: { LikeProducts: { likes: MAX_LIKES_PER_CALL } } });
}
