/**
 * Generic gRPC actions over a ModelResource: one small function per RPC, composed into a
 * handler object (django-grpc-framework's mixins, without the class hierarchy).
 *
 * Conventions for a CRUD service on message `X` (what `mgrpc startservice` generates):
 *   List(ListXRequest{limit, offset, page_size, page_token, filter, order_by, search})
 *     -> ListXResponse{items: X[], next_page_token, total_size}     (grpc/list-request.ts)
 *   Retrieve(XRetrieveRequest{<lookup>}) -> X        Create(X) -> X
 *   Update(X) -> X   PartialUpdate(X) -> X (non-empty, non-zero fields only)   Destroy(...{<lookup>}) -> Empty
 *   Watch(WatchXsRequest{after_seq}) -> stream XChange{seq, oneof event {X snapshot; WatchReady ready;
 *         X created; X updated; X deleted}}   (the resource needs `changes: true`; see watch/follow.ts)
 *
 * @example
 *   defineService(proto.library.BookService.service, modelActions(books));
 *   defineService(def, { ...modelActions(books, ['Retrieve', 'Create']), Custom: async () => … });
 */
import type { Model } from 'sequelize';

import { AppError } from '../errors.js';
import type { ModelResource } from '../model/resource.js';
import { parseAfterSeq, watchChanges } from '../watch/follow.js';
import type { ServerStreamHandler, UnaryHandler } from './define-service.js';
import { listQueryOf, pageToken, readPageToken, type ListMessage } from './list-request.js';

type Message = Record<string, unknown>;

export const ACTIONS = ['List', 'Retrieve', 'Create', 'Update', 'PartialUpdate', 'Destroy'] as const;
export type ActionName = (typeof ACTIONS)[number];

function lookupOf<M extends Model>(resource: ModelResource<M>, request: Message): unknown {
  return request[resource.serializer.messageField(resource.lookupField)];
}

/**
 * A page of the list: `page_size` (or the older `limit`; 0 is the default, maxPageSize) from
 * `page_token` (or `offset`), with `total_size` and the token of the next page ('' after the last).
 * Typed loosely, like modelActions, so a hand-written service can serve it under its own
 * message types: `ListProducts: listAction(products)`.
 */
export const listAction =
  <M extends Model>(r: ModelResource<M>): UnaryHandler<any, any> =>
  async (request) => {
    const m = request as ListMessage;
    const pageSize = Number(m.pageSize ?? 0);
    const limit = Number(m.limit ?? 0);
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > r.maxPageSize) {
      throw AppError.invalid('page_size', `must be an integer from 1 to ${r.maxPageSize} (0 or unset: ${r.maxPageSize})`);
    }
    if (pageSize > 0 && limit !== 0) throw AppError.invalid('limit', 'cannot be combined with page_size: use page_size and page_token, or limit and offset');
    if (m.pageToken && Number(m.offset ?? 0) !== 0) throw AppError.invalid('offset', 'cannot be combined with page_token: the token says where the page starts');
    const query = listQueryOf(m, r.listOptions());
    const fingerprint = r.listFingerprint(query);
    const offset = m.pageToken ? readPageToken(m.pageToken, fingerprint) : Number(m.offset ?? 0) || undefined;
    const size = pageSize || limit || undefined;
    const [items, total] = await Promise.all([r.list({ ...query, limit: size, offset }), r.count(query)]);
    const end = (offset ?? 0) + items.length;
    return {
      items: items.map((item) => r.serializer.toMessage(item)),
      nextPageToken: items.length > 0 && end < total ? pageToken(end, fingerprint) : '',
      totalSize: total,
    };
  };

export const retrieveAction =
  <M extends Model>(r: ModelResource<M>): UnaryHandler<Message, Message> =>
  async (request) =>
    r.serializer.toMessage(await r.retrieve(lookupOf(r, request)));

export const createAction =
  <M extends Model>(r: ModelResource<M>): UnaryHandler<Message, Message> =>
  async (request) =>
    r.serializer.toMessage(await r.create(r.parse({ message: request }, 'create')));

export const updateAction =
  <M extends Model>(r: ModelResource<M>): UnaryHandler<Message, Message> =>
  async (request) =>
    r.serializer.toMessage(await r.update(lookupOf(r, request), r.parse({ message: request }, 'update')));

export const partialUpdateAction =
  <M extends Model>(r: ModelResource<M>): UnaryHandler<Message, Message> =>
  async (request) =>
    r.serializer.toMessage(await r.update(lookupOf(r, request), r.parse({ message: request }, 'partial')));

export const destroyAction =
  <M extends Model>(r: ModelResource<M>): UnaryHandler<Message, Message> =>
  async (request) => {
    await r.destroy(lookupOf(r, request));
    return {};
  };

/**
 * Follows the resource's committed changes: a snapshot, a `ready` marker, then every change
 * in commit order, resumable by `after_seq` (watch/follow.ts).
 *
 * @example
 *   defineService(proto.library.BookService.service, { ...modelActions(books), WatchBooks: watchAction(books) });
 */
// Typed loosely, as modelActions is: it serves any request/change messages that follow the conventions.
export function watchAction<M extends Model>(r: ModelResource<M>): ServerStreamHandler<any, any> {
  if (!r.changes) {
    throw new Error(`watchAction: the ${r.name} resource does not record its changes; add \`changes: true\` to its ModelResource config`);
  }
  const source = { sequelize: r.sequelize, topic: r.name, all: async (transaction: Parameters<typeof r.all>[0]) => (await r.all(transaction)).map((item) => r.serializer.toMessage(item)) };
  return (request, call) => watchChanges(source, parseAfterSeq((request as Message).afterSeq), call.signal);
}

const FACTORIES = {
  List: listAction,
  Retrieve: retrieveAction,
  Create: createAction,
  Update: updateAction,
  PartialUpdate: partialUpdateAction,
  Destroy: destroyAction,
} satisfies Record<ActionName, unknown>;

/**
 * Handlers for the chosen generic actions of a resource. The result is spread into a
 * `defineService` handler object; its type is loose because the generic actions work on
 * any message shape that follows the conventions above.
 */
export function modelActions<M extends Model>(resource: ModelResource<M>, names: readonly ActionName[] = ACTIONS): Record<string, any> {
  return Object.fromEntries(names.map((name) => [name, FACTORIES[name](resource)]));
}
