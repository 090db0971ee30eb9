/** The services a migrations command is about: one by name (checked), or all of them. */
import type { ServiceModule } from '../../services/framework/service-module.js';
import { loadRegistry } from '../project-registry.js';
import { MigrationError } from './migration-error.js';

export async function servicesFor(name: string | undefined): Promise<ServiceModule<any>[]> {
  const { SERVICE_NAMES, loadService } = await loadRegistry();
  if (name !== undefined && !SERVICE_NAMES.includes(name)) throw new MigrationError(`unknown service '${name}': choose one of ${SERVICE_NAMES.join(', ')}`);
  return Promise.all((name !== undefined ? [name] : SERVICE_NAMES).map((n) => loadService(n)));
}
