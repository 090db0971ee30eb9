/** The migration `migrate --to` names: a number (3 or 0003), a full name, or 0 for none. */
import type { Migration } from '../../services/framework/db/migrations.js';
import type { ServiceModule } from '../../services/framework/service-module.js';
import { MigrationError } from './migration-error.js';

export function targetMigration(module: ServiceModule<any>, to: string): Migration | undefined {
  if (/^0+$/.test(to)) return undefined;
  const byNumber = /^\d+$/.test(to) ? module.migrations.filter((m) => Number(/^(\d+)-/.exec(m.name)?.[1]) === Number(to)) : module.migrations.filter((m) => m.name === to);
  if (byNumber.length === 1) return byNumber[0];
  const names = module.migrations.map((m) => m.name).join(', ');
  throw new MigrationError(
    byNumber.length > 1 ? `--to ${to} matches several migrations of ${module.name} (${byNumber.map((m) => m.name).join(', ')}): give the full name` : `--to ${to}: service ${module.name} has no such migration; it has ${names} (or 0 for none)`,
  );
}
