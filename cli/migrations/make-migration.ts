/**
 * `makemigrations` for one service: compare its models with what its migrations make, and
 * render the difference as a migration file.
 */
import { openDatabase } from '../../services/framework/db/connect.js';
import { sqliteUrl } from '../../services/framework/db/url.js';
import type { ServiceModule } from '../../services/framework/service-module.js';
import { diffSchemas, type Operation } from './diff.js';
import { migratedSchema } from './migrated-schema.js';
import { modelSchema } from './model-schema.js';

/** The operations that bring the service's migrations level with its models (none: no changes). */
export async function detectChanges(module: ServiceModule<any>): Promise<Operation[]> {
  const sequelize = await openDatabase(sqliteUrl(':memory:'));
  try {
    const migrated = await migratedSchema(module, sequelize);
    return diffSchemas(migrated, modelSchema(module, sequelize));
  } finally {
    await sequelize.close();
  }
}

/** `add-order-price`, or the first change's name and `-and-more` when there are several (as Django names them). */
export function suggestSlug(operations: Operation[]): string {
  const first = operations[0]?.slug ?? 'auto';
  const slug = operations.length > 1 ? `${first}-and-more` : first;
  return slug.length > 60 ? slug.slice(0, 60).replace(/-[^-]*$/, '') : slug;
}

const indent = (lines: string[]) => lines.map((line) => `    ${line}`).join('\n');

function body(lines: string[]): string {
  const uses = lines.some((line) => line.includes('DataTypes.'));
  return `{ queryInterface, ${uses ? 'DataTypes, ' : ''}transaction }`;
}

export function renderMigration(input: { service: string; name: string; exported: string; frameworkImport: string; operations: Operation[] }): string {
  const up = input.operations.flatMap((op) => op.up);
  const down = [...input.operations].reverse().flatMap((op) => op.down);
  return `/**
 * Made by \`mgrpc makemigrations\` from the difference between the ${input.service} service's
 * models and its migrations before this one:
${input.operations.map((op) => ` *   ${op.summary}`).join('\n')}
 * A renamed column or table shows as removed and added, its data not carried over: if it
 * was a rename, change the calls to renameColumn / renameTable.
 */
import type { Migration } from '${input.frameworkImport}';

export const ${input.exported}: Migration = {
  name: '${input.name}',
  async up(${body(up)}) {
${indent(up)}
  },
  async down(${body(down)}) {
${indent(down)}
  },
};
`;
}
