/**
 * Admin forms from a serializer: which input each writable field gets, and how the strings a
 * browser posts become the JSON the API takes, so a form is validated by the very schema (and
 * with the very messages) the API uses. The input kind is read by asking the field's zod
 * schema what it accepts, not from its internals, so any schema a service writes works.
 */
import type { Model } from 'sequelize';
import type { z } from 'zod';

import { snakeCase } from '../model/casing.js';
import type { ModelSerializer } from '../model/serializer.js';

export type InputKind = 'checkbox' | 'number' | 'text' | 'textarea';

export interface FormField {
  /** As the API spells it (snake_case): the input's name and the error's field. */
  name: string;
  kind: InputKind;
  required: boolean;
  nullable: boolean;
  maxLength?: number;
}

const accepts = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;

/** The string schema inside optional/nullable wrappers, for its length bound. */
function maxLengthOf(schema: z.ZodType): number | undefined {
  let current: unknown = schema;
  for (let i = 0; i < 5 && current; i++) {
    const max = (current as { maxLength?: unknown }).maxLength;
    if (typeof max === 'number') return max;
    const unwrap = (current as { unwrap?: () => unknown }).unwrap;
    current = typeof unwrap === 'function' ? unwrap.call(current) : undefined;
  }
  return undefined;
}

function kindOf(schema: z.ZodType): InputKind {
  if (accepts(schema, true) && !accepts(schema, 'x')) return 'checkbox';
  if ((accepts(schema, 1) || accepts(schema, 0) || accepts(schema, 1.5)) && !accepts(schema, 'x')) return 'number';
  const max = maxLengthOf(schema);
  return max !== undefined && max <= 4096 ? 'text' : accepts(schema, 'x') ? 'textarea' : 'text';
}

/** The writable fields of `serializer`, in its order. */
export function formFields<M extends Model>(serializer: ModelSerializer<M>): FormField[] {
  return serializer.fields
    .filter((field) => !serializer.readOnly.has(field))
    .map((field) => {
      const schema = serializer.schema.shape[field] as z.ZodType;
      return {
        name: snakeCase(field),
        kind: kindOf(schema),
        required: !accepts(schema, undefined),
        nullable: accepts(schema, null),
        maxLength: maxLengthOf(schema),
      };
    });
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * The JSON body a posted form stands for: numbers as numbers, a checkbox as a bool (absent:
 * false), a textarea's CRLF line breaks as LF, and an empty optional input as no value at all.
 * Anything that does not convert is passed on as typed, for the schema to refuse with its own
 * message.
 */
export function formToJSON(fields: readonly FormField[], body: Record<string, unknown>): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = body[field.name];
    if (field.kind === 'checkbox') {
      json[field.name] = raw === 'on' || raw === 'true';
      continue;
    }
    // A repeated name (a crafted post) is the schema's to refuse, not ours to pick from.
    if (typeof raw !== 'string') {
      if (raw !== undefined) json[field.name] = raw;
      continue;
    }
    if (raw === '' && !field.required && !field.nullable) continue;
    if (field.kind === 'textarea') {
      // A browser posts a textarea's line breaks as CRLF (HTML's form encoding): stored as the
      // LF an API client sends, so the same text is not kept two ways.
      json[field.name] = raw.replace(/\r\n?/g, '\n');
      continue;
    }
    json[field.name] = field.kind === 'number' && NUMBER.test(raw.trim()) ? Number(raw.trim()) : raw;
  }
  return json;
}
