/**
 * The model spec of `mgrpc startservice NAME --model Name:field:type,…`: its grammar, and for
 * each field type everything the templates need (proto type, TypeScript type, Sequelize
 * column, zod validation, sample values for the generated test). A `?` after the type makes
 * a string-typed field optional (nullable): `note:text?`; numbers and bools cannot be, as
 * proto3 carries no null for them (an empty string stands for a null string).
 *
 * @example
 *   parseModelSpec('Book:title:string,pages:int,isbn:string?')
 */
import { modelNames, type NameForms } from './names.js';
import { ScaffoldError } from './scaffold-error.js';

export const FIELD_TYPES = ['string', 'text', 'int', 'bigint', 'float', 'bool', 'uuid', 'date', 'datetime'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** How one field type appears in each generated file. */
interface TypeInfo {
  proto: string;
  ts: string;
  /** The Sequelize data type, as code over `DataTypes`. */
  column: string;
  /** zod schema code for a required field (`required(what)` names the expected value). */
  zod: (nullable: boolean) => string;
  /** Two different values as the REST JSON carries them (create, then update). */
  json: [unknown, unknown];
  /** The same values as the gRPC message carries them (int64 is a decimal string). */
  message?: [unknown, unknown];
}

/** zod's `{ error }` option: "is required" or what the value must be (serializers.ts defines `required`). */
const errorOf = (what: string, nullable: boolean) => (nullable ? `'must be ${what} or null'` : `required('${what}')`);
const expect = (what: string, nullable: boolean) => `{ error: ${errorOf(what, nullable)} }`;
const optional = (nullable: boolean) => (nullable ? '.nullable().optional()' : '');

const DATE: TypeInfo = {
  proto: 'string',
  ts: 'Date',
  column: 'DataTypes.DATE',
  zod: (n) => `z.iso.datetime({ offset: true, error: ${errorOf('an ISO 8601 date-time', n)} }).transform((value) => new Date(value))${optional(n)}`,
  json: ['2024-01-02T03:04:05.000Z', '2025-06-07T08:09:10.000Z'],
};

const TYPES: Record<FieldType, TypeInfo> = {
  string: {
    proto: 'string',
    ts: 'string',
    column: 'DataTypes.STRING(255)',
    zod: (n) => `z.string(${expect('a string', n)}).trim()${n ? '' : ".min(1, 'must not be empty')"}.max(255, 'must be at most 255 characters')${optional(n)}`,
    json: ['sample', 'changed'],
  },
  text: {
    proto: 'string',
    ts: 'string',
    column: 'DataTypes.TEXT',
    zod: (n) => `z.string(${expect('a string', n)})${n ? '' : ".min(1, 'must not be empty')"}.max(65535, 'must be at most 65535 characters')${optional(n)}`,
    // A line break: text is multiline (the serializer says so), and the generated test proves it.
    json: ['a longer sample text\non two lines', 'a changed text'],
  },
  int: {
    proto: 'int32',
    ts: 'number',
    column: 'DataTypes.INTEGER',
    zod: (n) => `z.int(${expect('a whole number', n)}).min(-2147483648, 'must be at least -2147483648').max(2147483647, 'must be at most 2147483647')${optional(n)}`,
    json: [7, 8],
  },
  bigint: {
    proto: 'int64',
    ts: 'number',
    column: 'DataTypes.BIGINT',
    // JSON sends a number; the gRPC loader hands int64 over as a decimal string.
    zod: (n) => `wholeNumber(${expect('a whole number', n)})${optional(n)}`,
    json: [9000000000, 9000000001],
    message: ['9000000000', '9000000001'],
  },
  float: {
    proto: 'double',
    ts: 'number',
    column: 'DataTypes.DOUBLE',
    zod: (n) => `z.number(${expect('a number', n)})${optional(n)}`,
    json: [1.5, 2.25],
  },
  bool: {
    proto: 'bool',
    ts: 'boolean',
    column: 'DataTypes.BOOLEAN',
    zod: (n) => `z.boolean(${expect('true or false', n)})${optional(n)}`,
    json: [true, false],
  },
  uuid: {
    proto: 'string',
    ts: 'string',
    column: 'DataTypes.UUID',
    zod: (n) => `z.uuid(${expect('a UUID', n)})${optional(n)}`,
    json: ['3b241101-e2bb-4255-8caf-4136c566a962', '9c5b94b1-35ad-49bb-b118-8e8fc24abf80'],
  },
  date: DATE,
  // The name most people try first: the same moment in time (Sequelize's DATE is a timestamp).
  datetime: DATE,
};

export interface Field {
  /** As in the proto and REST JSON: snake_case. */
  snake: string;
  /** As on the model and in gRPC messages: camelCase. */
  camel: string;
  type: FieldType;
  nullable: boolean;
  info: TypeInfo;
}

export interface ModelSpec {
  model: NameForms;
  fields: Field[];
}

/**
 * Names a field cannot take: the columns every model has, members of a Sequelize model
 * instance (an attribute would shadow them), and proto keywords.
 */
const RESERVED_FIELDS = new Set([
  'id', 'created_at', 'updated_at', 'get', 'set', 'save', 'reload', 'destroy', 'restore', 'update', 'changed', 'previous', 'increment',
  'decrement', 'equals', 'equals_one_of', 'validate', 'to_json', 'where', 'is_new_record', 'sequelize', 'data_values', 'constructor',
  'prototype', 'is_soft_deleted', 'set_data_value', 'get_data_value', 'build', 'init', 'associations', 'syntax', 'import', 'package',
  'option', 'message', 'service', 'rpc', 'returns', 'enum', 'oneof', 'repeated', 'optional', 'required', 'reserved', 'extend', 'map', 'stream',
]);

const MAX_FIELDS = 30;

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function parseField(raw: string, spec: string): Field {
  const parts = raw.split(':').map((p) => p.trim());
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ScaffoldError(`bad field '${raw}' in --model '${spec}': write each field as name:type (for example title:string, note:text?)`);
  }
  const [name, typeSpec] = parts as [string, string];
  if (!/^[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*$/.test(name)) {
    throw new ScaffoldError(`bad field name '${name}' in --model '${spec}': use snake_case (lower-case words joined by _, each starting with a letter)`);
  }
  if (RESERVED_FIELDS.has(name)) {
    throw new ScaffoldError(`bad field name '${name}' in --model '${spec}': '${name}' is reserved (every model has id, created_at and updated_at), choose another`);
  }
  const nullable = typeSpec.endsWith('?');
  const type = nullable ? typeSpec.slice(0, -1) : typeSpec;
  if (!(FIELD_TYPES as readonly string[]).includes(type)) {
    throw new ScaffoldError(`bad type '${typeSpec}' for field '${name}' in --model '${spec}': use one of ${FIELD_TYPES.join(', ')} (add ? for an optional field)`);
  }
  const info = TYPES[type as FieldType];
  // proto3 has no null: an empty string stands for one, but 0 and false are values.
  if (nullable && info.proto !== 'string') {
    throw new ScaffoldError(
      `bad type '${typeSpec}' for field '${name}' in --model '${spec}': only ${FIELD_TYPES.filter((t) => TYPES[t].proto === 'string').join(', ')} fields can be optional (proto3 has no null number or bool); drop the ?`,
    );
  }
  return { snake: name, camel: camel(name), type: type as FieldType, nullable, info };
}

/** Parses `Name:field:type,field:type?,…`; throws a ScaffoldError naming the bad part. */
export function parseModelSpec(spec: string): ModelSpec {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  if (colon < 0) {
    throw new ScaffoldError(`bad --model '${spec}': expected Name:field:type,… (for example Book:title:string,pages:int)`);
  }
  const model = modelNames(trimmed.slice(0, colon).trim());
  const fields = trimmed
    .slice(colon + 1)
    .split(',')
    .map((raw) => parseField(raw.trim(), spec));
  const seen = new Set<string>();
  for (const field of fields) {
    if (seen.has(field.snake)) throw new ScaffoldError(`bad --model '${spec}': field '${field.snake}' appears twice`);
    seen.add(field.snake);
  }
  if (fields.length > MAX_FIELDS) throw new ScaffoldError(`bad --model '${spec}': at most ${MAX_FIELDS} fields`);
  return { model, fields };
}

/** Sample values of a field: [create, update], for REST JSON or gRPC messages. */
export function sampleValues(field: Field, transport: 'json' | 'message'): [unknown, unknown] {
  const [a, b] = (transport === 'message' && field.info.message) || field.info.json;
  // Strings get the field's name so a mix-up between two string fields shows in the test.
  return field.info.ts === 'string' && field.type !== 'uuid' ? [`${a} ${field.snake}`, `${b} ${field.snake}`] : [a, b];
}
