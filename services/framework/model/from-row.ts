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
}

const asIs = (value: unknown) => value;
// What Sequelize's SQLite query parsing does for DATE, which a raw build leaves undone (its
// BOOLEAN sanitizer runs even then). SQLite keeps Sequelize's DATEs as text with their offset
// (`2026-12-07 10:00:00.000 +00:00`), which Date parses; PostgreSQL's driver returns Dates.
const PARSERS: Record<string, (value: unknown) => unknown> = {
  DATE: (value) => (value === null || value === undefined || value instanceof Date ? value : new Date(value as string)),
};

/** Per model: its columns, by column name. */
const columnsOf = new WeakMap<ModelStatic<Model>, ReadonlyMap<string, Column>>();

function columns(model: ModelStatic<Model>): ReadonlyMap<string, Column> {
  let found = columnsOf.get(model);
  if (!found) {
    found = new Map(
      Object.entries(model.getAttributes()).map(([name, attribute]) => {
        const type = (attribute.type as { key?: string } | undefined)?.key ?? '';
        return [attribute.field ?? name, { name, parse: PARSERS[type] ?? asIs }];
      }),
    );
    columnsOf.set(model, found);
  }
  return found;
}

export function instanceFromRow<M extends Model>(model: ModelStatic<M>, row: Row): M {
  const known = columns(model as ModelStatic<Model>);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    const column = known.get(name);
    if (column) values[column.name] = column.parse(value);
  }
  // Raw: set as parsed here. Not raw, Sequelize's setters would drop the timestamps (read-only).
  return model.build(values as never, { raw: true, isNewRecord: false });
}
