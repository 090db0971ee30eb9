/**
 * JSON Schemas for the OpenAPI document, from the same sources the API runs on: zod schemas
 * through zod 4's z.toJSONSchema, a ModelSerializer's write schema (renamed to the JSON body's
 * snake_case keys), and a model's attributes for what the serializer shows.
 */
import type { Model } from 'sequelize';
import { z } from 'zod';

import { snakeCase } from '../model/casing.js';
import type { ModelResource } from '../model/resource.js';
import type { WriteMode } from '../model/serializer.js';
import type { JsonSchema, SchemaSource } from './operations.js';

/** A zod schema as JSON Schema 2020-12 (what a request must look like, for io 'input'). */
export function toJsonSchema(source: SchemaSource, io: 'input' | 'output' = 'input'): JsonSchema {
  if (!(source instanceof z.ZodType)) return source;
  // Transforms and the like have no JSON Schema; show them as "any" rather than failing the document.
  const { $schema: _, ...schema } = z.toJSONSchema(source, { io, unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

/** The JSON body a serializer accepts for a write: its zod schema with snake_case keys, nothing else allowed. */
export function serializerBodySchema<M extends Model>(resource: ModelResource<M>, mode: WriteMode): JsonSchema {
  const zodSchema = mode === 'partial' ? resource.serializer.schema.partial() : resource.serializer.schema;
  const schema = toJsonSchema(zodSchema);
  const properties = Object.fromEntries(Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).map(([key, value]) => [snakeCase(key), value]));
  const { required = [], ...rest } = schema as JsonSchema & { required?: string[] };
  // parseJSON refuses unknown and read-only fields.
  return { ...rest, properties, ...(required.length > 0 ? { required: required.map(snakeCase) } : {}), additionalProperties: false };
}

const SEQUELIZE_TYPES: Record<string, JsonSchema> = {
  UUID: { type: 'string', format: 'uuid' },
  UUIDV4: { type: 'string', format: 'uuid' },
  STRING: { type: 'string' },
  CHAR: { type: 'string' },
  TEXT: { type: 'string' },
  CITEXT: { type: 'string' },
  INTEGER: { type: 'integer' },
  SMALLINT: { type: 'integer' },
  TINYINT: { type: 'integer' },
  MEDIUMINT: { type: 'integer' },
  BIGINT: { type: 'integer' },
  FLOAT: { type: 'number' },
  DOUBLE: { type: 'number' },
  REAL: { type: 'number' },
  DECIMAL: { type: 'number' },
  BOOLEAN: { type: 'boolean' },
  DATE: { type: 'string', format: 'date-time' },
  DATEONLY: { type: 'string', format: 'date' },
};

/** The JSON Schema of one model attribute's column type (a string when it has none of ours). */
export function attributeSchema<M extends Model>(resource: ModelResource<M>, attribute: string): JsonSchema {
  const type = (resource.model.getAttributes() as Record<string, { type?: { key?: string } }>)[attribute]?.type?.key ?? '';
  return { ...(SEQUELIZE_TYPES[type] ?? { type: 'string' }) };
}

/** What the serializer's toJSON shows: every field, snake_case, typed from the model (writable ones from the zod schema). */
export function serializerResponseSchema<M extends Model>(resource: ModelResource<M>): JsonSchema {
  const { serializer } = resource;
  const attributes = resource.model.getAttributes() as Record<string, { type?: { key?: string }; allowNull?: boolean; primaryKey?: boolean }>;
  const properties: Record<string, JsonSchema> = {};
  for (const field of serializer.fields) {
    const attribute = attributes[field];
    const zodField = serializer.readOnly.has(field) ? undefined : (serializer.schema.shape[field] as z.ZodType | undefined);
    let schema: JsonSchema = zodField ? toJsonSchema(zodField, 'output') : { ...(SEQUELIZE_TYPES[attribute?.type?.key ?? ''] ?? {}) };
    // toJSON shows a missing value as null: nullable attributes are nullable here too.
    if (!zodField && attribute?.allowNull !== false && !attribute?.primaryKey) schema = { anyOf: [schema, { type: 'null' }] };
    if (serializer.readOnly.has(field)) schema = { ...schema, readOnly: true };
    properties[snakeCase(field)] = schema;
  }
  return { type: 'object', properties, required: Object.keys(properties) };
}
