/**
 * The schema a service's migrations make: they run on a throwaway in-memory SQLite
 * database, which is then read back (tables, columns, indexes). Reading what the migrations
 * did, rather than a snapshot written beside them, covers hand-written migrations too.
 * The framework's own tables (`mgrpc_*`) are not the service's and are left out.
 */
import { QueryTypes, type Sequelize } from 'sequelize';

import { migrate } from '../../services/framework/db/migrations.js';
import type { ServiceModule } from '../../services/framework/service-module.js';
import { defaultFromSql, typeFromSql } from './column-types.js';
import { MigrationError } from './migration-error.js';
import type { Column, Index, Schema } from './schema.js';

interface Described {
  type: string;
  allowNull: boolean;
  primaryKey: boolean;
  autoIncrement?: boolean;
}

interface ShownIndex {
  name: string;
  unique: boolean;
  origin: string;
  fields: { attribute: string }[];
}

/** A default as SQLite keeps its text: 'quoted' (with '' for a quote), a number, or NULL. */
function sqlLiteral(text: string | null): string | undefined {
  if (text === null || /^null$/i.test(text)) return undefined;
  const quoted = /^'(.*)'$/s.exec(text);
  return quoted ? quoted[1]!.replace(/''/g, "'") : text;
}

export async function migratedSchema(module: ServiceModule<any>, sequelize: Sequelize): Promise<Schema> {
  try {
    await migrate(sequelize, module.migrations);
  } catch (err) {
    throw new MigrationError(`service ${module.name}'s migrations fail on an empty SQLite database: ${err instanceof Error ? err.message : String(err)}`);
  }
  const qi = sequelize.getQueryInterface();
  const names = await sequelize.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'mgrpc_%' ORDER BY name", {
    type: QueryTypes.SELECT,
  });
  const schema: Schema = new Map();
  for (const { name: table } of names) {
    const described = (await qi.describeTable(table)) as unknown as Record<string, Described>;
    // describeTable strips every quote from a default ('it''s' comes back as its): read them as SQLite has them.
    const info = await sequelize.query<{ name: string; dflt_value: string | null }>(`PRAGMA table_info(\`${table}\`)`, { type: QueryTypes.SELECT });
    const defaults = new Map(info.map((row) => [row.name, sqlLiteral(row.dflt_value)]));
    const columns: Column[] = Object.entries(described).map(([name, d]) => {
      const type = typeFromSql(d.type);
      if (!type) throw new MigrationError(`table ${table}, column ${name}: its type ${d.type} (made by a migration of ${module.name}) has no DataTypes form makemigrations knows`);
      return {
        name,
        type: type.code,
        allowNull: d.primaryKey ? false : d.allowNull,
        defaultValue: defaultFromSql(defaults.get(name), type.key),
        primaryKey: d.primaryKey,
        autoIncrement: d.autoIncrement === true,
      };
    });
    const primary = columns.filter((c) => c.primaryKey).map((c) => c.name).join(',');
    const indexes: Index[] = ((await qi.showIndex(table)) as unknown as ShownIndex[])
      .filter((i) => i.origin !== 'pk')
      .map((i) => ({ name: i.name, fields: i.fields.map((f) => f.attribute), unique: i.unique, constraint: i.origin !== 'c' }))
      // A UNIQUE on the primary key (SQLite table rebuilds add one) says nothing the key does not.
      .filter((i) => !(i.unique && i.fields.join(',') === primary))
      .reverse();
    schema.set(table, { name: table, columns, indexes });
  }
  return schema;
}
