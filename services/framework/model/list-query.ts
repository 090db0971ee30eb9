/**
 * What a list may be narrowed and ordered by (DRF's SearchFilter, OrderingFilter and
 * filterset_fields, in one place both transports share): a `ListQuery` in the API's words
 * (snake_case field names, string values) becomes a Sequelize `where` and `order` here,
 * checked against the fields the resource declares, so REST, gRPC and the admin refuse
 * the same input with the same message.
 *
 * - search: case-insensitive "contains", split into terms on white space and commas (as
 *   DRF does): every term must be found in at least one search field. `%`, `_` and `\` in a
 *   term are matched literally. Case folding is the database's `lower()`: full Unicode on
 *   PostgreSQL, ASCII letters only on SQLite.
 * - ordering: "title,-likes", then the resource's default ordering, then the primary key,
 *   so equal values never swap places between pages. Nulls sort first ascending and last
 *   descending on both databases (SQLite's habit; PostgreSQL's is the opposite).
 * - filters: field -> exact value, parsed by the field's column type.
 *
 * Defaults when a resource declares none: text columns are searchable; every serialized
 * field of a plain column type (text, UUID, number, boolean, date) is orderable and
 * filterable (a field named like a list parameter, `page` say, is not a default filter).
 *
 * @example
 *   await products.list({ search: 'pencil', ordering: '-likes', filters: { image: '' }, limit: 10 });
 */
import { literal, Op, type Attributes, type Model, type ModelStatic, type Order, type OrderItem, type WhereOptions } from 'sequelize';

import { AppError } from '../errors.js';
import { snakeCase } from './casing.js';
import type { FieldName, ModelSerializer } from './serializer.js';
import { textProblem } from './text.js';

export interface ListQuery {
  /** Page size: 1 to the resource's maxPageSize (default: maxPageSize). */
  limit?: number;
  offset?: number;
  /** Case-insensitive "contains" over the search fields; several terms must all be found. */
  search?: string;
  /** DRF syntax: "title,-likes", names as the API spells them (snake_case). */
  ordering?: string;
  /** API field name -> exact value, parsed by the field's type (only the filter fields). */
  filters?: Record<string, string>;
}

export interface ListFieldsConfig<M extends Model> {
  /** Text attributes `search` looks in (default: every serialized text field). */
  searchFields?: readonly FieldName<M>[];
  /** Attributes `ordering` may name (default: every serialized field of a plain type). */
  orderingFields?: readonly FieldName<M>[];
  /** Attributes a filter may name (default: every serialized field of a plain type). */
  filterFields?: readonly FieldName<M>[];
}

export interface ListOptions {
  searchFields: string[];
  orderingFields: string[];
  filterFields: string[];
}

/**
 * The list's own parameter names (REST query parameters): a field of one of these names is
 * left out of the default filter fields, since `?page=` cannot mean both.
 */
export const LIST_PARAMS = ['search', 'ordering', 'page', 'page_size', 'limit', 'offset'] as const;

/** Longest search string and most terms in it: enough for a person, bounded for the database. */
export const SEARCH_LIMITS = { length: 200, terms: 10 } as const;

type Kind = 'text' | 'uuid' | 'integer' | 'number' | 'boolean' | 'date' | 'dateonly';

const KINDS: Record<string, Kind> = {
  STRING: 'text',
  TEXT: 'text',
  CHAR: 'text',
  CITEXT: 'text',
  ENUM: 'text',
  UUID: 'uuid',
  INTEGER: 'integer',
  BIGINT: 'integer',
  SMALLINT: 'integer',
  TINYINT: 'integer',
  MEDIUMINT: 'integer',
  FLOAT: 'number',
  DOUBLE: 'number',
  REAL: 'number',
  DECIMAL: 'number',
  BOOLEAN: 'boolean',
  DATE: 'date',
  DATEONLY: 'dateonly',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

interface Field {
  attribute: string;
  /** The name the API uses (snake_case of the attribute). */
  name: string;
  column: string;
  kind: Kind;
}

/** Escapes LIKE's wildcards so user input is matched literally (with ESCAPE '\'). */
function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function list(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : 'none';
}

export class ListFields<M extends Model> {
  private readonly fields = new Map<string, Field>();
  /** API name (and the proto's snake_case name, where it differs) -> field. */
  private readonly byName = new Map<string, Field>();
  private readonly search: Field[];
  private readonly ordering: Field[];
  private readonly filters: Field[];

  constructor(
    private readonly model: ModelStatic<M>,
    serializer: ModelSerializer<M>,
    private readonly defaultOrder: Order | undefined,
    config: ListFieldsConfig<M> = {},
  ) {
    const attributes = model.getAttributes() as Record<string, { type?: unknown; field?: string } | undefined>;
    const kindOf = (attribute: string): Kind | undefined => KINDS[(attributes[attribute]?.type as { key?: string } | undefined)?.key ?? ''];
    const field = (attribute: string, option: string): Field => {
      const known = this.fields.get(attribute);
      if (known) return known;
      const definition = attributes[attribute];
      if (!definition) throw new Error(`${option}: '${attribute}' is not an attribute of ${model.name}`);
      const kind = kindOf(attribute);
      if (!kind) throw new Error(`${option}: '${attribute}' is not a text, UUID, number, boolean or date column, which are all a list can use`);
      const made: Field = { attribute, name: snakeCase(attribute), column: definition.field ?? attribute, kind };
      this.fields.set(attribute, made);
      this.byName.set(made.name, made);
      // gRPC clients may name a field as its proto does (product_id for id).
      const protoName = snakeCase(serializer.messageField(attribute as FieldName<M>));
      if (!this.byName.has(protoName)) this.byName.set(protoName, made);
      return made;
    };
    // The defaults: what the serializer shows, of a column type a list can use.
    const plain: string[] = serializer.fields.filter((f) => kindOf(f) !== undefined);
    this.search = (config.searchFields ?? plain.filter((f) => kindOf(f) === 'text')).map((f) => field(f, 'searchFields'));
    for (const f of this.search) {
      if (f.kind !== 'text') throw new Error(`searchFields: '${f.attribute}' is not a text column; search only looks in text`);
    }
    this.ordering = (config.orderingFields ?? plain).map((f) => field(f, 'orderingFields'));
    const notAParameter = (f: string) => !(LIST_PARAMS as readonly string[]).includes(snakeCase(f));
    this.filters = (config.filterFields ?? plain.filter(notAParameter)).map((f) => field(f, 'filterFields'));
  }

  /** The names a client may use, as the API spells them. */
  options(): ListOptions {
    return {
      searchFields: this.search.map((f) => f.name),
      orderingFields: this.ordering.map((f) => f.name),
      filterFields: this.filters.map((f) => f.name),
    };
  }

  /** The `where` of a list and its count: the filters and the search terms, all required. */
  where(query: ListQuery): WhereOptions<Attributes<M>> {
    const conditions: unknown[] = [];
    for (const [name, raw] of Object.entries(query.filters ?? {})) {
      const f = this.lookup(name, this.filters);
      if (!f) throw AppError.invalid(name.slice(0, 100), `is not a filter field (expected ${list(this.filters.map((x) => x.name))})`);
      conditions.push({ [f.attribute]: this.parseValue(f, raw) });
    }
    for (const term of this.searchTerms(query.search)) {
      const pattern = this.model.sequelize!.escape(`%${escapeLike(term)}%`);
      const qi = this.model.sequelize!.getQueryInterface();
      const table = qi.quoteIdentifier(this.model.name);
      conditions.push({
        [Op.or]: this.search.map((f) => literal(`lower(${table}.${qi.quoteIdentifier(f.column)}) LIKE lower(${pattern}) ESCAPE '\\'`)),
      });
    }
    return (conditions.length > 0 ? { [Op.and]: conditions } : {}) as WhereOptions<Attributes<M>>;
  }

  /** The client's ordering, then the default ordering, then the primary key. */
  order(query: ListQuery): OrderItem[] {
    const order: OrderItem[] = [];
    const seen = new Set<string>();
    const add = (attribute: string, item: OrderItem) => {
      if (seen.has(attribute)) return;
      seen.add(attribute);
      order.push(item);
    };
    const raw = query.ordering?.trim() ?? '';
    if (raw.length > 0) {
      if (raw.length > 500) throw AppError.invalid('ordering', 'must be at most 500 characters');
      for (const part of raw.split(',')) {
        const descending = part.trim().startsWith('-');
        const name = part.trim().replace(/^-/, '');
        const f = this.lookup(name, this.ordering);
        if (!f) {
          const what = name === '' ? 'has an empty field name' : `'${name.slice(0, 100)}' is not an ordering field`;
          throw AppError.invalid('ordering', `${what} (expected ${list(this.ordering.map((x) => x.name))}, each optionally prefixed with '-')`);
        }
        add(f.attribute, [f.attribute, descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST']);
      }
    }
    for (const item of (Array.isArray(this.defaultOrder) ? this.defaultOrder : this.defaultOrder ? [this.defaultOrder] : []) as OrderItem[]) {
      const attribute = Array.isArray(item) && typeof item[0] === 'string' ? item[0] : typeof item === 'string' ? item : undefined;
      if (attribute === undefined) order.push(item);
      else add(attribute, item);
    }
    add(this.model.primaryKeyAttribute, [this.model.primaryKeyAttribute, 'ASC']);
    return order;
  }

  /**
   * A canonical text of what the query selects and in which order (not its page): equal for
   * two queries that list the same rows the same way. Page tokens carry a hash of it.
   */
  fingerprint(query: ListQuery): string {
    const filters = Object.entries(query.filters ?? {})
      .map(([name, value]) => [this.byName.get(name)?.attribute ?? name, value])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const ordering = (query.ordering ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
      .map((p) => (p.startsWith('-') ? '-' : '') + (this.byName.get(p.replace(/^-/, ''))?.attribute ?? p));
    return JSON.stringify({ filters, search: this.searchTerms(query.search), ordering });
  }

  private lookup(name: string, allowed: readonly Field[]): Field | undefined {
    const f = this.byName.get(name);
    return f && allowed.includes(f) ? f : undefined;
  }

  private searchTerms(search: string | undefined): string[] {
    if (search === undefined || search.trim() === '') return [];
    if (search.length > SEARCH_LIMITS.length) throw AppError.invalid('search', `must be at most ${SEARCH_LIMITS.length} characters`);
    const problem = textProblem(search);
    if (problem) throw AppError.invalid('search', problem);
    if (this.search.length === 0) throw AppError.invalid('search', 'this list has no search fields');
    const terms = search.split(/[\s,]+/).filter((t) => t.length > 0);
    if (terms.length > SEARCH_LIMITS.terms) throw AppError.invalid('search', `must have at most ${SEARCH_LIMITS.terms} terms`);
    return terms;
  }

  private parseValue(f: Field, raw: string): unknown {
    if (typeof raw !== 'string') throw AppError.invalid(f.name, 'must be a string');
    if (raw.length > 2048) throw AppError.invalid(f.name, 'must be at most 2048 characters');
    const bad = (what: string) => AppError.invalid(f.name, `'${raw.slice(0, 64)}' is not ${what}`);
    switch (f.kind) {
      case 'text': {
        const problem = textProblem(raw);
        if (problem) throw AppError.invalid(f.name, problem);
        return raw;
      }
      case 'uuid':
        if (!UUID.test(raw)) throw bad('a valid UUID');
        return raw.toLowerCase();
      case 'integer': {
        const value = /^-?\d{1,16}$/.test(raw) ? Number(raw) : NaN;
        if (!Number.isSafeInteger(value)) throw bad('a whole number');
        return value;
      }
      case 'number': {
        const value = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : NaN;
        if (!Number.isFinite(value)) throw bad('a number');
        return value;
      }
      case 'boolean':
        if (/^(true|1)$/i.test(raw)) return true;
        if (/^(false|0)$/i.test(raw)) return false;
        throw bad('true or false');
      case 'dateonly':
        if (!ISO_DATE.test(raw) || Number.isNaN(Date.parse(raw))) throw bad('a date (YYYY-MM-DD)');
        return raw;
      case 'date': {
        const value = ISO_INSTANT.test(raw) ? new Date(raw) : new Date(NaN);
        if (Number.isNaN(value.getTime())) throw bad('an ISO 8601 time with its offset (2026-12-06T21:43:48.123Z)');
        return value;
      }
    }
  }
}
