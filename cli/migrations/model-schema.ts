/**
 * The schema a service's models describe: each model's table, columns (with their database
 * names, `underscored` applied) and indexes, read from Sequelize's own normalised
 * definitions on a SQLite connection (see column-types.ts for why SQLite).
 */
import type { ModelStatic, Sequelize } from 'sequelize';

import type { ServiceModule } from '../../services/framework/service-module.js';
import { typeFromSql } from './column-types.js';
import { MigrationError } from './migration-error.js';
import type { Column, DefaultValue, Index, Schema } from './schema.js';

interface Attribute {
  field?: string;
  type: { key: string; options?: Record<string, unknown>; toSql(): string };
  allowNull?: boolean;
  defaultValue?: unknown;
  primaryKey?: boolean;
  autoIncrement?: boolean;
  unique?: boolean | string | { name?: string };
  references?: unknown;
}

interface ModelInternals {
  _indexes: { name: string; fields: (string | { name?: string; attribute?: string })[]; unique?: boolean; type?: string; where?: unknown }[];
  _timestampAttributes: Record<string, string | undefined>;
}

const isModel = (value: unknown): value is ModelStatic<any> => typeof value === 'function' && typeof (value as { getAttributes?: unknown }).getAttributes === 'function';

/** A default SQL can hold: not a function, nor UUIDV4/NOW and their kind (those the model fills in). */
function databaseDefault(value: unknown): DefaultValue | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

export function modelSchema(module: ServiceModule<any>, sequelize: Sequelize): Schema {
  if (!module.models) {
    throw new MigrationError(`service ${module.name} does not say what its models are: add \`models: defineModels\` to its defineServiceModule({ … }) in services/${module.name}/index.ts`);
  }
  const schema: Schema = new Map();
  for (const [exported, model] of Object.entries(module.models(sequelize))) {
    if (!isModel(model)) throw new MigrationError(`service ${module.name}'s models(): '${exported}' is not a Sequelize model`);
    const table = model.getTableName();
    if (typeof table !== 'string') throw new MigrationError(`model ${model.name}: tables in a schema are not supported by makemigrations`);
    const where = `model ${exported} (table ${table})`;
    const internals = model as unknown as ModelInternals;
    const timestamps = new Set(Object.entries(internals._timestampAttributes).filter(([kind, name]) => name && kind !== 'deletedAt').map(([, name]) => name));
    const columns: Column[] = [];
    const indexes: Index[] = [];
    const namedUnique = new Map<string, string[]>();
    for (const [name, raw] of Object.entries(model.getAttributes())) {
      const attribute = raw as unknown as Attribute;
      const column = attribute.field ?? name;
      const sql = attribute.type.toSql();
      const type = typeFromSql(sql);
      // Sequelize's DOUBLE says 'DOUBLE PRECISION' as its key.
      const key = attribute.type.key.split(' ')[0];
      // SQLite drops a timestamp's or a float's precision, which PostgreSQL would keep: no file could say both.
      const precision = ['DATE', 'FLOAT', 'REAL', 'DOUBLE'].includes(key ?? '') && Object.values(attribute.type.options ?? {}).some((v) => v !== undefined);
      if (!type || type.key !== key || precision) {
        throw new MigrationError(
          `${where}, attribute ${name}: type ${attribute.type.key}${precision ? ` with ${JSON.stringify(attribute.type.options)}` : ''} (${sql} on SQLite) cannot be expressed by a generated migration that runs on SQLite and PostgreSQL alike; ` +
            'use one of STRING(n), TEXT, CHAR(n), INTEGER, BIGINT, SMALLINT, FLOAT, DOUBLE, REAL, DECIMAL(p, s), BOOLEAN, UUID, DATE, DATEONLY, TIME, JSON, BLOB, or write this migration by hand',
        );
      }
      if (attribute.references) throw new MigrationError(`${where}, attribute ${name}: foreign keys (references) are not generated; write this migration by hand`);
      const primaryKey = attribute.primaryKey === true;
      columns.push({
        name: column,
        type: type.code,
        // Sequelize always fills createdAt/updatedAt, and a primary key is never null.
        allowNull: primaryKey || timestamps.has(name) ? false : attribute.allowNull !== false,
        defaultValue: databaseDefault(attribute.defaultValue),
        primaryKey,
        autoIncrement: attribute.autoIncrement === true,
      });
      const unique = attribute.unique;
      if (unique === true) indexes.push({ name: `${table}_${column}_unique`, fields: [column], unique: true });
      else if (typeof unique === 'string' || (typeof unique === 'object' && unique?.name)) {
        const group = typeof unique === 'string' ? unique : unique.name!;
        namedUnique.set(group, [...(namedUnique.get(group) ?? []), column]);
      }
    }
    for (const [name, fields] of namedUnique) indexes.push({ name, fields, unique: true });
    for (const index of internals._indexes) {
      if (index.where || (index.type && index.type !== '')) throw new MigrationError(`${where}: index ${index.name} is partial or of a special type; write this migration by hand`);
      if (index.fields.some((f) => typeof f !== 'string' && Object.keys(f).some((k) => k !== 'name' && k !== 'attribute'))) {
        throw new MigrationError(`${where}: index ${index.name} has ordered, sized or collated fields; write this migration by hand`);
      }
      // Fields may name attributes (userId) or columns (user_id): the index is on columns.
      const attributes = model.getAttributes() as Record<string, { field?: string }>;
      const fields = index.fields.map((f) => (typeof f === 'string' ? f : (f.name ?? f.attribute ?? ''))).map((f) => attributes[f]?.field ?? f);
      indexes.push({ name: index.name, fields, unique: index.unique === true });
    }
    schema.set(table, { name: table, model: exported, columns, indexes });
  }
  return schema;
}
