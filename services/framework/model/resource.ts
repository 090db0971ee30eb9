/**
 * A model resource: the generic CRUD behaviour both transports share (the counterpart of
 * DRF's GenericAPIView / django-grpc-framework's GenericService). The gRPC actions and the
 * REST view set are thin adapters over it, so both give the same answers and errors.
 *
 * Every write runs in one transaction (joining the caller's, see db/atomic.ts), and the narrow hooks `performCreate`,
 * `performUpdate` and `performDestroy` run inside it: override one to add a side effect
 * that must commit or fail with the change (as the dashboard does to sync the product
 * service).
 *
 * @example
 *   class BookResource extends ModelResource<Book> {}
 *   const books = new BookResource({ name: 'book', model: Book, serializer, lookupSchema: z.uuid() });
 */
import type { Attributes, Model, ModelStatic, Order, Transaction, WhereOptions } from 'sequelize';
import { z } from 'zod';

import { atomic } from '../db/atomic.js';
import { sqlRunner } from '../db/sql.js';
import { AppError } from '../errors.js';
import { recordChanges, type ChangeKind } from '../watch/change-log.js';
import { snakeCase } from './casing.js';
import { ListFields, type ListFieldsConfig, type ListOptions, type ListQuery } from './list-query.js';
import type { FieldName, ModelSerializer, WriteMode } from './serializer.js';

export interface ResourceConfig<M extends Model> extends ListFieldsConfig<M> {
  /** Singular noun used in messages: "product 42 not found". */
  name: string;
  model: ModelStatic<M>;
  serializer: ModelSerializer<M>;
  /** The attribute a single object is found by (default: the primary key). */
  lookupField?: FieldName<M>;
  /** Validates lookup values before they reach the database (e.g. `z.uuid()`). */
  lookupSchema?: z.ZodType<string>;
  /** The default ordering of a list (a client's `ordering` comes first, the primary key last). */
  ordering?: Order;
  /** Upper bound of a list page. */
  maxPageSize?: number;
  /** Size of a page when a client asks for pages without saying how big (default 20, at most maxPageSize). */
  pageSize?: number;
  /**
   * Write every create, update and delete to the change log in its transaction (topic:
   * `name`), so `Watch<Model>s` (grpc/actions.ts watchAction) can follow them.
   */
  changes?: boolean;
}

export type { ListOptions, ListQuery } from './list-query.js';

export class ModelResource<M extends Model> {
  readonly name: string;
  readonly model: ModelStatic<M>;
  readonly serializer: ModelSerializer<M>;
  readonly lookupField: FieldName<M>;
  readonly maxPageSize: number;
  readonly pageSize: number;
  /** Validates lookup values (also documents the path parameter). */
  readonly lookupSchema?: z.ZodType<string>;
  private readonly listFields: ListFields<M>;
  /** Whether changes go to the change log (ResourceConfig.changes). */
  readonly changes: boolean;

  constructor(config: ResourceConfig<M>) {
    this.name = config.name;
    this.model = config.model;
    this.serializer = config.serializer;
    this.lookupField = config.lookupField ?? (config.model.primaryKeyAttribute as FieldName<M>);
    this.lookupSchema = config.lookupSchema;
    this.maxPageSize = config.maxPageSize ?? 1000;
    this.pageSize = Math.min(config.pageSize ?? 20, this.maxPageSize);
    this.changes = config.changes ?? false;
    if (!(this.lookupField in config.model.getAttributes())) {
      throw new Error(`lookupField '${this.lookupField}' is not an attribute of ${config.model.name}`);
    }
    this.listFields = new ListFields(config.model, config.serializer, config.ordering, config);
  }

  get sequelize() {
    return this.model.sequelize!;
  }

  /** Validates a lookup value, naming the lookup field in the error as the API spells it (product_id). */
  parseLookup(value: unknown): string {
    // Named as the serializer's errors name fields: snake_case, the proto's name ("productId" read like a JS variable).
    // Worked out only for an error: every like passes through here.
    const field = () => snakeCase(this.serializer.messageField(this.lookupField));
    if (value === undefined || value === null || value === '') throw AppError.invalid(field(), 'is required');
    if (typeof value !== 'string') throw AppError.invalid(field(), 'must be a string');
    if (this.lookupSchema && !this.lookupSchema.safeParse(value).success) {
      // Cut by code point: slice(0, 64) could split an emoji into a lone surrogate.
      throw AppError.invalid(field(), `'${Array.from(value.slice(0, 128)).slice(0, 64).join('')}' is not a valid ${this.lookupDescription()}`);
    }
    return value;
  }

  async list(query: ListQuery = {}): Promise<M[]> {
    const limit = query.limit ?? this.maxPageSize;
    if (!Number.isInteger(limit) || limit < 1 || limit > this.maxPageSize) {
      throw AppError.invalid('limit', `must be an integer from 1 to ${this.maxPageSize}`);
    }
    const offset = query.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0) throw AppError.invalid('offset', 'must be a non-negative integer');
    return this.model.findAll({ where: this.listFields.where(query), order: this.listFields.order(query), limit, offset });
  }

  /** How many objects `list` would page through: the same filters and search, no paging. */
  async count(query: ListQuery = {}): Promise<number> {
    return this.model.count({ where: this.listFields.where(query) });
  }

  /** The search, ordering and filter fields a list accepts, as the API spells them. */
  listOptions(): ListOptions {
    return this.listFields.options();
  }

  /** Equal for two queries that select and order the same rows (paging aside): what page tokens are bound to. */
  listFingerprint(query: ListQuery): string {
    return this.listFields.fingerprint(query);
  }

  /** One object by its lookup value; `forUpdate` locks its row until `transaction` ends (PostgreSQL). */
  async retrieve(lookup: unknown, transaction?: Transaction, forUpdate = false): Promise<M> {
    const value = this.parseLookup(lookup);
    const where = { [this.lookupField]: value } as WhereOptions<Attributes<M>>;
    const instance = await this.model.findOne({ where, transaction, ...(forUpdate && transaction && { lock: transaction.LOCK.UPDATE }) });
    if (!instance) throw AppError.notFound(`${this.name} ${value} not found`);
    return instance;
  }

  /**
   * Throws NOT_FOUND unless an object with this lookup value exists: one prepared
   * statement, for hot paths that need the check but not the object.
   */
  async ensureExists(lookup: unknown, transaction?: Transaction): Promise<string> {
    const value = this.parseLookup(lookup);
    const qi = this.sequelize.getQueryInterface();
    const column = this.model.getAttributes()[this.lookupField]?.field ?? String(this.lookupField);
    const found = await sqlRunner(this.sequelize).all(
      `SELECT 1 AS found FROM ${qi.quoteIdentifier(this.model.getTableName() as string)} WHERE ${qi.quoteIdentifier(column)} = ? LIMIT 1`,
      [value],
      transaction,
    );
    if (found.length === 0) throw AppError.notFound(`${this.name} ${value} not found`);
    return value;
  }

  /** Every object, in the resource's order (a watch stream's snapshot), inside `transaction`. */
  async all(transaction?: Transaction): Promise<M[]> {
    return this.model.findAll({ order: this.listFields.order({}), transaction });
  }

  async create(data: Partial<Attributes<M>>): Promise<M> {
    return atomic(this.sequelize, async (transaction) => this.recordChange(transaction, 'created', await this.performCreate(data, transaction)));
  }

  async update(lookup: unknown, data: Partial<Attributes<M>>): Promise<M> {
    return atomic(this.sequelize, async (transaction) => {
      // Locked: a column the update does not set (a like count) cannot change under it, so the
      // object it returns, syncs and logs is the one it commits.
      const instance = await this.retrieve(lookup, transaction, true);
      return this.recordChange(transaction, 'updated', await this.performUpdate(instance, data, transaction));
    });
  }

  async destroy(lookup: unknown): Promise<void> {
    await atomic(this.sequelize, async (transaction) => {
      const instance = await this.retrieve(lookup, transaction, true);
      await this.performDestroy(instance, transaction);
      await this.recordChange(transaction, 'deleted', instance);
    });
  }

  /** The change-log entry of a write, in its transaction, when the resource records changes. */
  protected async recordChange(transaction: Transaction, kind: ChangeKind, instance: M): Promise<M> {
    if (this.changes) {
      const key = String(instance.get(this.lookupField as string));
      await recordChanges(this.sequelize, transaction, [{ topic: this.name, key, kind, data: this.serializer.toMessage(instance) }]);
    }
    return instance;
  }

  /** Parses input for a write from either transport. */
  parse(input: { json?: unknown; message?: object | null }, mode: WriteMode): Partial<Attributes<M>> {
    return input.message !== undefined ? this.serializer.parseMessage(input.message, mode) : this.serializer.parseJSON(input.json, mode);
  }

  protected async performCreate(data: Partial<Attributes<M>>, transaction: Transaction): Promise<M> {
    return this.model.create(data as never, { transaction });
  }

  protected async performUpdate(instance: M, data: Partial<Attributes<M>>, transaction: Transaction): Promise<M> {
    return instance.update(data, { transaction });
  }

  protected async performDestroy(instance: M, transaction: Transaction): Promise<void> {
    await instance.destroy({ transaction });
  }

  private lookupDescription(): string {
    return this.lookupSchema instanceof z.ZodUUID || this.lookupSchema instanceof z.ZodGUID ? 'UUID' : this.lookupField;
  }
}
