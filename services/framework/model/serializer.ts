/**
 * A model serializer: the one description of how a Sequelize model is shown and written,
 * used by both transports.
 *  - REST: `toJSON` / `parseJSON` speak snake_case JSON (`created_at`), as DRF does.
 *  - gRPC: `toMessage` / `parseMessage` speak proto messages (camelCase, no nulls: proto3
 *    has none, so a null string is '' on the wire and '' means "no value" coming in).
 * Writable fields are validated by one zod schema; read-only fields are shown but never
 * written, and both read-only and unknown fields in a JSON body are refused with a 400 that
 * names them (DRF drops read-only input silently; a client that sends `likes` believes it
 * set it). Proto messages always carry every field, so there read-only fields are ignored.
 *
 * @example
 *   const productSerializer = new ModelSerializer<Product>({
 *     fields: ['id', 'title', 'image', 'likes', 'createdAt', 'updatedAt'],
 *     readOnly: ['id', 'likes', 'createdAt', 'updatedAt'],
 *     schema: z.object({ title: z.string().max(200), image: z.string().max(200).nullable().optional() }),
 *   });
 */
import type { Attributes, Model } from 'sequelize';
import { z } from 'zod';

import { AppError } from '../errors.js';
import type { AttributeView } from './from-row.js';
import { camelCase, snakeCase } from './casing.js';
import { textProblem } from './text.js';

export type FieldName<M extends Model> = keyof Attributes<M> & string;

/** create: every required field; update: same, replacing all writable fields; partial: any subset. */
export type WriteMode = 'create' | 'update' | 'partial';

export interface SerializerConfig<M extends Model> {
  fields: readonly FieldName<M>[];
  readOnly?: readonly FieldName<M>[];
  /** Validates writable fields (camelCase keys). Must be a z.object. */
  schema: z.ZodObject;
  /** Model attribute -> proto field name, where they differ (e.g. { id: 'productId' }). */
  messageFields?: Partial<Record<FieldName<M>, string>>;
  /** Text fields that may hold tab, line feed and carriage return (see text.ts). */
  multiline?: readonly FieldName<M>[];
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return value;
}

export class ModelSerializer<M extends Model> {
  readonly fields: readonly FieldName<M>[];
  readonly readOnly: ReadonlySet<string>;
  readonly schema: z.ZodObject;
  private readonly toProto: Map<string, string>;
  private readonly fromProto: Map<string, string>;
  private readonly multiline: ReadonlySet<string>;

  constructor(config: SerializerConfig<M>) {
    this.fields = config.fields;
    this.readOnly = new Set(config.readOnly ?? []);
    this.schema = config.schema;
    this.toProto = new Map(config.fields.map((f) => [f, config.messageFields?.[f] ?? f]));
    this.fromProto = new Map([...this.toProto].map(([model, proto]) => [proto, model]));
    this.multiline = new Set(config.multiline ?? []);
    const writable = config.fields.filter((f) => !this.readOnly.has(f));
    for (const key of Object.keys(config.schema.shape)) {
      if (!writable.includes(key as FieldName<M>)) {
        throw new Error(`serializer schema validates '${key}', which is not a writable field: add it to fields, or remove it from readOnly`);
      }
    }
  }

  /** The REST representation: snake_case keys, ISO dates, numbers for counters. */
  toJSON(instance: M): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    // A just-created row lacks attributes the client did not send: show them as null, as a read would.
    for (const field of this.fields) out[snakeCase(field)] = plain(instance.get(field)) ?? null;
    return out;
  }

  /** The proto message: renamed fields, '' for null strings, dates as ISO strings. */
  toMessage(instance: Pick<M, 'get'> | AttributeView): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of this.fields) {
      const value = plain(instance.get(field));
      out[this.toProto.get(field)!] = value ?? '';
    }
    return out;
  }

  /** Validates a snake_case JSON body into model attributes. */
  parseJSON(body: unknown, mode: WriteMode): Partial<Attributes<M>> {
    if (body === undefined || body === null) body = {};
    if (typeof body !== 'object' || Array.isArray(body)) throw AppError.invalid('body', 'must be a JSON object');
    const input: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      const field = camelCase(key);
      if (!this.fields.includes(field as FieldName<M>)) throw AppError.invalid(key, `unknown field (expected ${this.writableJSONFields()})`);
      if (this.readOnly.has(field)) throw AppError.invalid(key, 'is read-only and cannot be set');
      // '' on a nullable field is null, as it is in a proto message (which cannot tell them
      // apart): otherwise the owner kept '' and every copy synced over gRPC had null.
      input[field] = value === '' && this.isNullable(field) ? null : value;
    }
    return this.validate(input, mode, snakeCase);
  }

  /**
   * Validates a proto message into model attributes. Proto3 cannot tell an unset string
   * from an empty one, so '' is "absent": for create/update it stands for null on optional
   * fields, for partial updates it leaves the field alone. Partial updates also leave
   * numeric and bool fields alone when they carry 0 or false, for the same reason (so a
   * partial update cannot set a number to 0: use Update).
   */
  parseMessage(message: object | null | undefined, mode: WriteMode): Partial<Attributes<M>> {
    const input: Record<string, unknown> = {};
    for (const [protoField, value] of Object.entries(message ?? {})) {
      const field = this.fromProto.get(protoField);
      if (!field || this.readOnly.has(field)) continue;
      if (value === '' || value === undefined) {
        if (mode !== 'partial' && this.isNullable(field)) input[field] = null;
        continue;
      }
      // Likewise an unset number or bool arrives as 0 (int64: '0') or false: without this, a
      // PartialUpdate that omits `pages` set it to 0.
      if (mode === 'partial' && this.isZeroValue(field, value)) continue;
      input[field] = value;
    }
    // Errors name the field as the proto does (product_id), not the model attribute (id).
    return this.validate(input, mode, (field) => snakeCase(this.toProto.get(field) ?? field));
  }

  private writableJSONFields(): string {
    return this.fields
      .filter((f) => !this.readOnly.has(f))
      .map(snakeCase)
      .join(', ');
  }

  /** The proto field a model attribute is carried in. */
  messageField(field: FieldName<M>): string {
    return this.toProto.get(field) ?? field;
  }

  /** True for proto3's zero value of a numeric or bool field (a string field's '0' is a value). */
  private isZeroValue(field: string, value: unknown): boolean {
    if (value !== 0 && value !== '0' && value !== false) return false;
    const parsed = (this.schema.shape[field] as z.ZodType | undefined)?.safeParse(value);
    return parsed?.success === true && (parsed.data === 0 || parsed.data === 0n || parsed.data === false);
  }

  private isNullable(field: string): boolean {
    const shape = this.schema.shape[field] as z.ZodType | undefined;
    return shape !== undefined && shape.safeParse(null).success;
  }

  private validate(input: Record<string, unknown>, mode: WriteMode, fieldName: (attribute: string) => string): Partial<Attributes<M>> {
    const schema = mode === 'partial' ? this.schema.partial() : this.schema;
    const result = schema.safeParse(input);
    if (result.success) {
      // On what the schema made of the input (trimmed, say): the value that will be stored.
      for (const [field, value] of Object.entries(result.data)) {
        const problem = typeof value === 'string' ? textProblem(value, { multiline: this.multiline.has(field) }) : undefined;
        if (problem) throw AppError.invalid(fieldName(field), problem);
      }
      return result.data as Partial<Attributes<M>>;
    }
    const issue = result.error.issues[0];
    const [head, ...rest] = issue.path.map(String);
    throw AppError.invalid(head === undefined ? 'body' : [fieldName(head), ...rest].join('.'), issue.message);
  }
}
