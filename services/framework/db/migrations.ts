/**
 * Schema changes as ordered, named migrations (Umzug over Sequelize's QueryInterface),
 * recorded in the `mgrpc_migrations` table. Servers never `sync()`: they refuse to start
 * on a database with pending migrations and say which command applies them.
 */
import { DataTypes, type QueryInterface, type Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';

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

function umzug(sequelize: Sequelize, migrations: Migration[]): Umzug<MigrationContext> {
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
    storage: new SequelizeStorage({ sequelize, tableName: 'mgrpc_migrations' }),
    logger: undefined,
  });
}

/** Applies pending migrations in order; returns the names applied. */
export async function migrate(sequelize: Sequelize, migrations: Migration[]): Promise<string[]> {
  const applied = await umzug(sequelize, migrations).up();
  return applied.map((m) => m.name);
}

export async function pendingMigrations(sequelize: Sequelize, migrations: Migration[]): Promise<string[]> {
  const pending = await umzug(sequelize, migrations).pending();
  return pending.map((m) => m.name);
}
