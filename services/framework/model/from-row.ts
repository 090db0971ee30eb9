/**
 * `instanceFromRow(Model, row)`: a model instance from a row that hand-written SQL returned
 * (`sql.all`, e.g. an `UPDATE … RETURNING *`), as Sequelize's own queries would have made it:
 * columns mapped to their attributes (`created_at` to `createdAt`), a DATE that SQLite returns
 * as text made a Date, a BOOLEAN it returns as 0 or 1 a boolean. Serializers read
 * attributes: an instance built from the row as it came would have shown every renamed
 * column as missing ('' in a proto message).
 *
 * @example
 *   const [row] = await sql.all(`UPDATE products SET likes = likes + 1 WHERE id = ? RETURNING *`, [id], t);
 *   productSerializer.toMessage(instanceFromRow(Product, row));
 */
import type { Model, ModelStatic } from 'sequelize';

import type { Row } from '../db/sql.js';

interface Column {
  /** The attribute's name. */
  name: string;
  /** How a value from the database becomes the attribute's value. */
  parse(value: unknown): unknown;
  /** The attribute's own getter, if the model defines one (e.g. a BIGINT made a number). */
  get?: (this: AttributeView) => unknown;
}

/** What a serializer reads of a row: its attributes, through the model's getters (rowView). */
export interface AttributeView {
  get(attribute: string): unknown;
  getDataValue(attribute: string): unknown;
}

const asIs = (value: unknown) => value;
// What Sequelize's SQLite query parsing does for DATE, which a raw build leaves undone: SQLite
// keeps Sequelize's DATEs as text with their offset (`2026-12-07 10:00:00.000 +00:00`), which
// Date parses; PostgreSQL's driver returns Dates. And SQLite's 0 and 1 for a BOOLEAN, which
// Sequelize's raw build makes booleans itself but a row view (no build) must.
const PARSERS: Record<string, (value: unknown) => unknown> = {
  DATE: (value) => (value === null || value === undefined || value instanceof Date ? value : new Date(value as string)),
  BOOLEAN: (value) => (value === 0 ? false : value === 1 ? true : value),
};

/** Per model: its columns by column name, and its attributes' own getters by attribute name. */
interface Shape {
  columns: ReadonlyMap<string, Column>;
  getters: ReadonlyMap<string, NonNullable<Column['get']>>;
}

const shapes = new WeakMap<ModelStatic<Model>, Shape>();

function shapeOf(model: ModelStatic<Model>): Shape {
  let found = shapes.get(model);
  if (!found) {
    const columns = new Map(
      Object.entries(model.getAttributes()).map(([name, attribute]) => {
        const type = (attribute.type as { key?: string } | undefined)?.key ?? '';
        return [attribute.field ?? name, { name, parse: PARSERS[type] ?? asIs, get: attribute.get as Column['get'] }];
      }),
    );
    const getters = new Map([...columns.values()].flatMap((column) => (column.get ? [[column.name, column.get] as const] : [])));
    shapes.set(model, (found = { columns, getters }));
  }
  return found;
}

/** The row's values by attribute, parsed as Sequelize's own queries would. */
function attributesOf(known: ReadonlyMap<string, Column>, row: Row): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    const column = known.get(name);
    if (column) values[column.name] = column.parse(value);
  }
  return values;
}

export function instanceFromRow<M extends Model>(model: ModelStatic<M>, row: Row): M {
  // Raw: set as parsed here. Not raw, Sequelize's setters would drop the timestamps (read-only).
  return model.build(attributesOf(shapeOf(model as ModelStatic<Model>).columns, row) as never, { raw: true, isNewRecord: false });
}

/**
 * The row's attributes as a serializer reads them (`get`, through the attributes' own getters),
 * without building a model instance: what a hot path that only shows the row needs (a like
 * batch's answer), at a fraction of `instanceFromRow`'s cost. Only for models whose getters
 * read through `this.getDataValue` or `this.get`: the view has no attribute properties
 * (`this.title`) and no model-level `getterMethods`.
 */
export function rowView(model: ModelStatic<Model>, row: Row): AttributeView {
  const { columns, getters } = shapeOf(model);
  const values = attributesOf(columns, row);
  return {
    get(attribute) {
      const getter = getters.get(attribute);
      return getter ? getter.call(this) : values[attribute];
    },
    getDataValue: (attribute) => values[attribute],
  };
}
