/**
 * Schema changes as ordered, named migrations (Umzug over Sequelize's QueryInterface),
 * recorded in the `mgrpc_migrations` table. Servers never `sync()`: they refuse to start
 * on a database with pending migrations and say which command applies them.
 *
 * Umzug (with its dependencies, about 0.2 s of a server's start-up on a 2-core machine) is
 * loaded only to apply migrations; the check every server makes at start-up reads the
 * table itself.
 */
import { DataTypes, QueryTypes, type QueryInterface, type Sequelize } from 'sequelize';
import type { Umzug } from 'umzug';

/** Umzug's SequelizeStorage keeps one row per applied migration, its name in `name`. */
const TABLE = 'mgrpc_migrations';

export interface MigrationContext {
  queryInterface: QueryInterface;
  DataTypes: typeof DataTypes;
}

export interface Migration {
  /** Sortable and unique, e.g. `0001-initial`. */
  name: string;
  up(ctx: MigrationContext): Promise<void>;
  down?(ctx: MigrationContext): Promise<void>;
}

async function umzug(sequelize: Sequelize, migrations: Migration[]): Promise<Umzug<MigrationContext>> {
  const { SequelizeStorage, Umzug } = await import('umzug');
  const context: MigrationContext = { queryInterface: sequelize.getQueryInterface(), DataTypes };
  return new Umzug<MigrationContext>({
    migrations: migrations.map((m) => ({
      name: m.name,
      up: () => m.up(context),
      down: async () => {
        if (!m.down) throw new Error(`migration ${m.name} cannot be reverted`);
        await m.down(context);
      },
    })),
    context,
    storage: new SequelizeStorage({ sequelize, tableName: TABLE }),
    logger: undefined,
  });
}

/** Applies pending migrations in order; returns the names applied. */
export async function migrate(sequelize: Sequelize, migrations: Migration[]): Promise<string[]> {
  const applied = await (await umzug(sequelize, migrations)).up();
  return applied.map((m) => m.name);
}

/** The migrations not applied yet, in order (reads only: a database never migrated has them all). */
export async function pendingMigrations(sequelize: Sequelize, migrations: Migration[]): Promise<string[]> {
  const applied = new Set<string>();
  if (await sequelize.getQueryInterface().tableExists(TABLE)) {
    const rows = await sequelize.query<{ name: string }>(`SELECT name FROM ${TABLE}`, { type: QueryTypes.SELECT });
    for (const row of rows) applied.add(row.name);
  }
  return migrations.map((m) => m.name).filter((name) => !applied.has(name));
}
