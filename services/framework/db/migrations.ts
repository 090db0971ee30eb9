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

/**
 * Runs `work` as one transaction that no other migrating process runs beside: SQLite's
 * BEGIN IMMEDIATE takes the write lock, PostgreSQL locks the migrations table. So two
 * processes migrating one database at once (both sides of a service started with --migrate)
 * take turns, and the second sees what the first recorded.
 */
async function inTransaction(sequelize: Sequelize, work: (transaction?: Transaction) => Promise<void>): Promise<void> {
  if (sequelize.getDialect() !== 'sqlite') {
    await sequelize.transaction(async (transaction) => {
      await sequelize.query(`LOCK TABLE ${TABLE} IN SHARE ROW EXCLUSIVE MODE`, { transaction });
      await work(transaction);
    });
    return;
  }
  await sequelize.query('BEGIN IMMEDIATE');
  try {
    await work();
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
  const create = (transaction?: Transaction) =>
    sequelize.getQueryInterface().createTable(TABLE, { name: { type: DataTypes.STRING, allowNull: false, unique: true, primaryKey: true } }, { transaction });
  if (sequelize.getDialect() === 'sqlite') return void (await create());
  // Two PostgreSQL sessions creating the same table at once collide even with IF NOT EXISTS: one at a time.
  await sequelize.transaction(async (transaction) => {
    await sequelize.query(`SELECT pg_advisory_xact_lock(hashtext('${TABLE}'))`, { transaction });
    await create(transaction);
  });
}

async function recorded(sequelize: Sequelize, name: string, transaction?: Transaction): Promise<boolean> {
  const rows = await sequelize.query(`SELECT name FROM ${TABLE} WHERE name = ?`, { replacements: [name], type: QueryTypes.SELECT, transaction });
  return rows.length > 0;
}

/** Applies one migration with its record; false if another process applied it meanwhile. */
async function applyOne(sequelize: Sequelize, migration: Migration): Promise<boolean> {
  let ran = false;
  await inTransaction(sequelize, async (transaction) => {
    if (await recorded(sequelize, migration.name, transaction)) return;
    await migration.up(context(sequelize, transaction));
    await sequelize.query(`INSERT INTO ${TABLE} (name) VALUES (?)`, { replacements: [migration.name], transaction });
    ran = true;
  });
  return ran;
}

/** Reverts one migration and drops its record; false if another process reverted it meanwhile. */
async function revertOne(sequelize: Sequelize, migration: Migration): Promise<boolean> {
  const down = migration.down;
  if (!down) throw new Error(`migration ${migration.name} has no down(): it cannot be reverted (write one, or restore a backup)`);
  let ran = false;
  await inTransaction(sequelize, async (transaction) => {
    if (!(await recorded(sequelize, migration.name, transaction))) return;
    await down(context(sequelize, transaction));
    await sequelize.query(`DELETE FROM ${TABLE} WHERE name = ?`, { replacements: [migration.name], transaction });
    ran = true;
  });
  return ran;
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
    if (await applyOne(sequelize, migration)) done.push(migration.name);
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
    if (await revertOne(sequelize, migration)) done.push(migration.name);
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
