/**
 * Column types as SQLite declares them (it keeps the declared text, so what a migration
 * created reads back unchanged) and as code over `DataTypes` in a migration file. Both
 * sides of a comparison go through here: a model attribute's type is rendered for SQLite
 * by Sequelize and read back, so a type that does not survive the trip (an ENUM is TEXT
 * on SQLite, UNSIGNED and BINARY have no SQLite form) is one a generated migration cannot
 * express, and says so instead of being migrated wrong.
 */

/** A column type as code (`DataTypes.STRING(200)`) and the DataTypes key it makes (`STRING`). */
export interface ColumnType {
  code: string;
  key: string;
}

const SIMPLE: Record<string, string> = {
  TEXT: 'TEXT',
  INTEGER: 'INTEGER',
  BIGINT: 'BIGINT',
  SMALLINT: 'SMALLINT',
  FLOAT: 'FLOAT',
  'DOUBLE PRECISION': 'DOUBLE',
  REAL: 'REAL',
  DECIMAL: 'DECIMAL',
  'TINYINT(1)': 'BOOLEAN',
  UUID: 'UUID',
  DATETIME: 'DATE',
  DATE: 'DATEONLY',
  TIME: 'TIME',
  JSON: 'JSON',
  BLOB: 'BLOB',
};

const SIZED: [RegExp, string][] = [
  [/^VARCHAR\((\d+)\)$/, 'STRING'],
  [/^CHAR\((\d+)\)$/, 'CHAR'],
  [/^DECIMAL\((\d+),\s*(\d+)\)$/, 'DECIMAL'],
];

/** The DataTypes code for a type as SQLite declares it, or undefined when there is none. */
export function typeFromSql(sql: string): ColumnType | undefined {
  const text = sql.trim().toUpperCase();
  const simple = SIMPLE[text];
  if (simple) return { code: `DataTypes.${simple}`, key: simple };
  for (const [pattern, key] of SIZED) {
    const m = pattern.exec(text);
    if (m) return { code: `DataTypes.${key}(${m.slice(1).join(', ')})`, key };
  }
  return undefined;
}

/** Numbers and booleans come back from SQLite's schema as text; the model has them typed. */
export function defaultFromSql(value: unknown, key: string): string | number | boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (key === 'BOOLEAN') return value === true || value === '1' || value === 'true';
  if (['INTEGER', 'BIGINT', 'SMALLINT', 'FLOAT', 'DOUBLE', 'REAL', 'DECIMAL'].includes(key) && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  return typeof value === 'number' || typeof value === 'boolean' ? value : String(value);
}
