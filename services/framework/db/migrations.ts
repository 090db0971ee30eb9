/**
 * Schema changes as ordered, named migrations over Sequelize's QueryInterface, recorded in
 * the `mgrpc_migrations` table (one row per applied migration, its name in `name`: the
 * table umzug kept before, so databases migrated then read the same). Servers never
 * `sync()`: they refuse to start on a database with pending migrations and say which
 * command applies them.
 *
 * Each migration runs in a transaction with the row that records it, so a failing one
 * leaves neither half a schema change nor a record:
 *   - SQLite: BEGIN IMMEDIATE … COMMIT on the one connection Sequelize uses outside
 *     transactions, so every statement of the migration is inside, passed `transaction`
 *     or not (SQLite's DDL is transactional; its table rebuilds are several statements).
 *   - PostgreSQL: a Sequelize transaction, handed to the migration as `transaction`:
 *     statements given it are inside (generated migrations pass it to every call).
 */
import { DataTypes, QueryTypes, type QueryInterface, type Sequelize, type Transaction } from 'sequelize';

import { sqliteQueryInterface } from './sqlite-rebuild.js';

const TABLE = 'mgrpc_migrations';

export interface MigrationContext {
  queryInterface: QueryInterface;
  DataTypes: typeof DataTypes;
  /** Pass it to every queryInterface call (`{ transaction }`) so the migration is all or nothing on PostgreSQL too. */
  transaction?: Transaction;
}

export interface Migration {
  /** Sortable and unique, e.g. `0001-initial`. */
  name: string;
  up(ctx: MigrationContext): Promise<void>;
  down?(ctx: MigrationContext): Promise<void>;
}

/** A migration's place in a database: applied or not. */
export interface MigrationState {
  name: string;
  applied: boolean;
}

async function appliedNames(sequelize: Sequelize): Promise<Set<string>> {
  if (!(await sequelize.getQueryInterface().tableExists(TABLE))) return new Set();
  const rows = await sequelize.query<{ name: string }>(`SELECT name FROM ${TABLE}`, { type: QueryTypes.SELECT });
  return new Set(rows.map((row) => row.name));
}

/** Runs `step` (the migration) and `record` (its row) as one transaction. */
async function inTransaction(sequelize: Sequelize, step: (transaction?: Transaction) => Promise<void>, record: (transaction?: Transaction) => Promise<void>): Promise<void> {
  if (sequelize.getDialect() !== 'sqlite') {
    await sequelize.transaction(async (transaction) => {
      await step(transaction);
      await record(transaction);
    });
    return;
  }
  await sequelize.query('BEGIN IMMEDIATE');
  try {
    await step();
    await record();
    await sequelize.query('COMMIT');
  } catch (err) {
    await sequelize.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function context(sequelize: Sequelize, transaction?: Transaction): MigrationContext {
  const queryInterface = sequelize.getDialect() === 'sqlite' ? sqliteQueryInterface(sequelize) : sequelize.getQueryInterface();
  return { queryInterface, DataTypes, transaction };
}

async function ensureTable(sequelize: Sequelize): Promise<void> {
  // The shape umzug's SequelizeStorage made: `CREATE TABLE IF NOT EXISTS`, so an existing table is kept.
  await sequelize.getQueryInterface().createTable(TABLE, { name: { type: DataTypes.STRING, allowNull: false, unique: true, primaryKey: true } });
}

async function applyOne(sequelize: Sequelize, migration: Migration): Promise<void> {
  await inTransaction(
    sequelize,
    (transaction) => migration.up(context(sequelize, transaction)),
    async (transaction) => void (await sequelize.query(`INSERT INTO ${TABLE} (name) VALUES (?)`, { replacements: [migration.name], transaction })),
  );
}

async function revertOne(sequelize: Sequelize, migration: Migration): Promise<void> {
  const down = migration.down;
  if (!down) throw new Error(`migration ${migration.name} has no down(): it cannot be reverted (write one, or restore a backup)`);
  await inTransaction(
    sequelize,
    (transaction) => down(context(sequelize, transaction)),
    async (transaction) => void (await sequelize.query(`DELETE FROM ${TABLE} WHERE name = ?`, { replacements: [migration.name], transaction })),
  );
}

/**
 * Applies pending migrations in order, up to and including `to` (default: all); returns the
 * names applied. A failing migration is rolled back and stops the ones after it.
 */
export async function migrate(sequelize: Sequelize, migrations: Migration[], options: { to?: string } = {}): Promise<string[]> {
  await ensureTable(sequelize);
  const applied = await appliedNames(sequelize);
  const last = options.to === undefined ? migrations.length - 1 : migrations.findIndex((m) => m.name === options.to);
  if (last < 0 && options.to !== undefined) throw new Error(`no migration named '${options.to}'`);
  const done: string[] = [];
  for (const migration of migrations.slice(0, last + 1)) {
    if (applied.has(migration.name)) continue;
    await applyOne(sequelize, migration);
    done.push(migration.name);
  }
  return done;
}

/**
 * Reverts applied migrations after `keep` (a name; undefined: all of them), newest first,
 * each through its `down` in its own transaction; returns the names reverted.
 */
export async function revert(sequelize: Sequelize, migrations: Migration[], keep?: string): Promise<string[]> {
  const applied = await appliedNames(sequelize);
  const first = keep === undefined ? 0 : migrations.findIndex((m) => m.name === keep) + 1;
  if (first === 0 && keep !== undefined) throw new Error(`no migration named '${keep}'`);
  const done: string[] = [];
  for (const migration of migrations.slice(first).reverse()) {
    if (!applied.has(migration.name)) continue;
    await revertOne(sequelize, migration);
    done.push(migration.name);
  }
  return done;
}

/** Each migration, in order, and whether it is applied; plus applied names no migration has (renamed or deleted files). */
export async function migrationStates(sequelize: Sequelize, migrations: Migration[]): Promise<{ states: MigrationState[]; unknown: string[] }> {
  const applied = await appliedNames(sequelize);
  const known = new Set(migrations.map((m) => m.name));
  return { states: migrations.map((m) => ({ name: m.name, applied: applied.has(m.name) })), unknown: [...applied].filter((name) => !known.has(name)).sort() };
}

/** The migrations not applied yet, in order (reads only: a database never migrated has them all). */
export async function pendingMigrations(sequelize: Sequelize, migrations: Migration[]): Promise<string[]> {
  const applied = await appliedNames(sequelize);
  return migrations.map((m) => m.name).filter((name) => !applied.has(name));
}
