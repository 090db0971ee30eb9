/**
 * The operations that take the schema the migrations make to the one the models describe,
 * each with its undo, as queryInterface calls (code) that run alike on SQLite and
 * PostgreSQL. Order, within a migration: new tables; then per table removed indexes, added,
 * changed and removed columns, added indexes; then dropped tables. `down` undoes them in
 * reverse. A rename is not guessed: it shows as a removal plus an addition.
 */
import { MigrationError } from './migration-error.js';
import { columnKey, indexKey, type Column, type DefaultValue, type Index, type Schema, type Table } from './schema.js';

export interface Operation {
  /** One line for humans: `+ column orders.price`. */
  summary: string;
  /** Its part of a file name: `add-order-price`. */
  slug: string;
  up: string[];
  /** Undoes `up`, run in this order. */
  down: string[];
}

const kebab = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();

const literal = (value: DefaultValue): string => (typeof value === 'string' ? (/^[\w .,:/@-]*$/.test(value) ? `'${value}'` : JSON.stringify(value)) : String(value));

function definition(column: Column, overrides: Partial<Column> = {}): string {
  const c = { ...column, ...overrides };
  const parts = [`type: ${c.type}`, `allowNull: ${c.allowNull}`];
  if (c.defaultValue !== undefined) parts.push(`defaultValue: ${literal(c.defaultValue)}`);
  if (c.primaryKey) parts.push('primaryKey: true');
  if (c.autoIncrement) parts.push('autoIncrement: true');
  return `{ ${parts.join(', ')} }`;
}

const q = (text: string) => `'${text}'`;

const addIndex = (table: string, index: Index) =>
  `await queryInterface.addIndex(${q(table)}, [${index.fields.map(q).join(', ')}], { name: ${q(indexName(table, index))}, unique: ${index.unique}, transaction });`;
const removeIndex = (table: string, index: Index) => `await queryInterface.removeIndex(${q(table)}, ${q(indexName(table, index))}, { transaction });`;

/** SQLite names the index of an inline UNIQUE itself; recreated as an index, it gets a name of ours. */
const indexName = (table: string, index: Index) => (index.name.startsWith('sqlite_autoindex_') ? `${table}_${index.fields.join('_')}${index.unique ? '_unique' : ''}` : index.name);

function createTable(table: Table): string[] {
  const columns = table.columns.map((c) => `  ${c.name}: ${definition(c)},`);
  return [`await queryInterface.createTable(${q(table.name)}, {`, ...columns, '}, { transaction });', ...table.indexes.map((i) => addIndex(table.name, i))];
}

/** Restores a removed column: a NOT NULL one with no default is added nullable first, as there is no value for the rows. */
function restoreColumn(table: string, column: Column): string[] {
  if (column.allowNull || column.defaultValue !== undefined) return [`await queryInterface.addColumn(${q(table)}, ${q(column.name)}, ${definition(column)}, { transaction });`];
  return [
    `// ${column.name} was NOT NULL with no default: added nullable, then made NOT NULL (which fails if rows exist: they have no value to restore).`,
    `await queryInterface.addColumn(${q(table)}, ${q(column.name)}, ${definition(column, { allowNull: true })}, { transaction });`,
    `await queryInterface.changeColumn(${q(table)}, ${q(column.name)}, ${definition(column)}, { transaction });`,
  ];
}

function tableChanges(from: Table, to: Table): Operation[] {
  const who = kebab(to.model ?? to.name);
  const ops: Operation[] = [];
  const before = new Map(from.columns.map((c) => [c.name, c]));
  const after = new Map(to.columns.map((c) => [c.name, c]));
  const pk = (t: Table) => t.columns.filter((c) => c.primaryKey).map((c) => `${c.name} ${c.type}`).join(', ');
  if (pk(from) !== pk(to)) {
    throw new MigrationError(`table ${to.name}: its primary key changes (${pk(from) || 'none'} -> ${pk(to) || 'none'}); makemigrations does not generate that: write this migration by hand`);
  }
  const fromIndexes = new Map(from.indexes.map((i) => [indexKey(i), i]));
  const toIndexes = new Map(to.indexes.map((i) => [indexKey(i), i]));

  const removed = (index: Index) => index.fields.some((field) => !after.has(field));
  // Undone last among the removals of its columns (downs run in reverse), so they are all back by then.
  const firstRemoved = (index: Index) => from.columns.find((c) => !after.has(c.name) && index.fields.includes(c.name))?.name;
  for (const [key, index] of fromIndexes) {
    // An index on a removed column goes with it (see removeColumn below, whose down restores both).
    if (toIndexes.has(key) || removed(index)) continue;
    if (index.constraint) throw new MigrationError(`table ${from.name}: the UNIQUE constraint on (${index.fields.join(', ')}) is gone from the model, and no removeIndex drops a constraint; write this migration by hand`);
    ops.push({ summary: `- index ${from.name} ${key}`, slug: `remove-${who}-index`, up: [removeIndex(from.name, index)], down: [addIndex(from.name, index)] });
  }
  for (const [name, column] of after) {
    if (before.has(name)) continue;
    if (!column.allowNull && column.defaultValue === undefined) {
      throw new MigrationError(
        `table ${to.name}: new column ${name} is NOT NULL with no default, so the rows already there would have no value: give it a defaultValue or allowNull: true (then fill it and tighten it in a later migration)`,
      );
    }
    ops.push({
      summary: `+ column ${to.name}.${name}`,
      slug: `add-${who}-${kebab(name)}`,
      up: [`await queryInterface.addColumn(${q(to.name)}, ${q(name)}, ${definition(column)}, { transaction });`],
      down: [`await queryInterface.removeColumn(${q(to.name)}, ${q(name)}, { transaction });`],
    });
  }
  for (const [name, column] of after) {
    const old = before.get(name);
    if (!old || columnKey(old) === columnKey(column)) continue;
    ops.push({
      summary: `~ column ${to.name}.${name}: ${definition(old)} -> ${definition(column)}`,
      slug: `alter-${who}-${kebab(name)}`,
      up: [`await queryInterface.changeColumn(${q(to.name)}, ${q(name)}, ${definition(column)}, { transaction });`],
      down: [`await queryInterface.changeColumn(${q(to.name)}, ${q(name)}, ${definition(old)}, { transaction });`],
    });
  }
  for (const [name, column] of before) {
    if (after.has(name)) continue;
    ops.push({
      summary: `- column ${from.name}.${name}`,
      slug: `remove-${who}-${kebab(name)}`,
      up: [`await queryInterface.removeColumn(${q(from.name)}, ${q(name)}, { transaction });`],
      down: [...restoreColumn(from.name, column), ...from.indexes.filter((i) => firstRemoved(i) === name).map((i) => addIndex(from.name, i))],
    });
  }
  for (const [key, index] of toIndexes) {
    if (fromIndexes.has(key)) continue;
    ops.push({ summary: `+ index ${to.name} ${key}`, slug: `index-${who}-${index.fields.map(kebab).join('-')}`, up: [addIndex(to.name, index)], down: [removeIndex(to.name, index)] });
  }
  return ops;
}

export function diffSchemas(migrated: Schema, models: Schema): Operation[] {
  const ops: Operation[] = [];
  for (const [name, table] of models) {
    if (migrated.has(name)) continue;
    ops.push({ summary: `+ table ${name}`, slug: `create-${kebab(table.model ?? name)}`, up: createTable(table), down: [`await queryInterface.dropTable(${q(name)}, { transaction });`] });
  }
  for (const [name, table] of models) {
    const old = migrated.get(name);
    if (old) ops.push(...tableChanges(old, table));
  }
  for (const [name, table] of migrated) {
    if (models.has(name)) continue;
    ops.push({ summary: `- table ${name}`, slug: `delete-${kebab(name)}`, up: [`await queryInterface.dropTable(${q(name)}, { transaction });`], down: createTable(table) });
  }
  return ops;
}
