/**
 * A database schema as `makemigrations` compares it: tables, their columns and their
 * indexes, in one shape whether read from the models or from what the migrations made.
 */

export type DefaultValue = string | number | boolean;

export interface Column {
  name: string;
  /** As code over DataTypes, e.g. `DataTypes.STRING(200)`: equal code, equal type. */
  type: string;
  allowNull: boolean;
  /** A default the database applies (JS-side defaults such as UUIDV4 are the model's business). */
  defaultValue?: DefaultValue;
  primaryKey: boolean;
  autoIncrement: boolean;
}

export interface Index {
  name: string;
  fields: string[];
  unique: boolean;
  /** SQLite's index for an inline UNIQUE constraint: no removeIndex can drop it. */
  constraint?: boolean;
}

export interface Table {
  name: string;
  /** The model that maps it (models only), for names like `add-product-price`. */
  model?: string;
  columns: Column[];
  indexes: Index[];
}

export type Schema = Map<string, Table>;

/** Two indexes are the same when they cover the same columns in the same order, alike in uniqueness (names may differ). */
export const indexKey = (index: Pick<Index, 'fields' | 'unique'>): string => `${index.unique ? 'unique ' : ''}(${index.fields.join(', ')})`;

/** What a column's definition is, for comparing two. */
export const columnKey = (c: Column): string => JSON.stringify([c.type, c.allowNull, c.defaultValue === undefined ? null : String(c.defaultValue), c.primaryKey]);
