/**
 * The services this project runs: the one place `runserver`, `grpcrunserver`, `migrate`
 * and `up` look a service up by name. Loaded lazily so the CLI starts fast.
 */
import type { ServiceModule } from './framework/service-module.js';

export const SERVICES = {
  dashboard: () => import('./dashboard/index.js'),
  product: () => import('./product/index.js'),
} satisfies Record<string, () => Promise<{ default: ServiceModule<any> }>>;

export type ServiceName = keyof typeof SERVICES;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

export async function loadService(name: string): Promise<ServiceModule<any>> {
  if (!(name in SERVICES)) throw new Error(`unknown service '${name}': choose one of ${SERVICE_NAMES.join(', ')}`);
  return (await SERVICES[name as ServiceName]()).default;
}
