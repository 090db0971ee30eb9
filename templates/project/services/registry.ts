/**
 * The services this project runs: the one place `mgrpc runserver`, `grpcrunserver`, `migrate`
 * and `up` look a service up by name (the CLI loads the built dist/services/registry.js).
 * `mgrpc startservice NAME` adds a line here.
 */
import type { ServiceModule } from 'mgrpc/framework';

export const SERVICES = {
} satisfies Record<string, () => Promise<{ default: ServiceModule<any> }>>;

export type ServiceName = keyof typeof SERVICES;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

export async function loadService(name: string): Promise<ServiceModule<any>> {
  if (!(name in SERVICES)) throw new Error(`unknown service '${name}': choose one of ${SERVICE_NAMES.join(', ')}`);
  return (await SERVICES[name as ServiceName]()).default;
}
