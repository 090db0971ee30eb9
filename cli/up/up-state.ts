/**
 * What `mgrpc up` tells the other commands (cli/context/state-file.ts) and other shells:
 * the state of a running system, made from its plan, and the equivalent `export` lines.
 *
 * @example
 *   const state = upState(plan, new Date());
 *   process.stdout.write(exportLines(state));
 */
import { DEFAULT_BASE_PORT, formatAddress, redactUrl } from '../../services/framework/index.js';
import { grpcVariable, urlVariable } from '../context/resolve.js';
import type { UpState } from '../context/state-file.js';
import { envName, type UpPlan } from './plan.js';

/** The client commands' REST services: only these have an MGRPC_<NAME>_URL. */
const REST_CLIENTS = new Set(['dashboard', 'product']);

export function upState({ options, modules, processes, env, reachable, dataDir }: UpPlan, startedAt: Date): UpState {
  const services: UpState['services'] = {};
  for (const m of modules) {
    services[m.name] = {
      rest: processes.filter((p) => p.service === m.name && p.side === 'rest').map((p) => `http://${formatAddress({ host: reachable, port: p.port })}`),
      grpc: env[`${envName(m.name)}_GRPC_SERVER`]!,
    };
  }
  const databases: Record<string, string> = {};
  if (options.database !== undefined) for (const m of modules) databases[m.name] = redactUrl(env[`${envName(m.name)}_DATABASE_URL`]!);
  return {
    version: 1,
    pid: process.pid,
    startedAt: startedAt.toISOString(),
    host: options.host,
    reachable,
    basePort: options.basePort ?? DEFAULT_BASE_PORT,
    replicas: options.replicas,
    ...(options.database === undefined ? { dataDir } : {}),
    databases,
    processes: processes.map((p) => ({ name: p.name, service: p.service, side: p.side, address: formatAddress({ host: reachable, port: p.port }) })),
    services,
  };
}

/** `export MGRPC_DASHBOARD_URL=…` and the others: what another shell sets to reach this system without the state file. */
export function exportLines(state: UpState): string {
  const vars: [string, string][] = [];
  for (const [name, service] of Object.entries(state.services)) {
    if (REST_CLIENTS.has(name) && service.rest[0]) vars.push([urlVariable(name), service.rest[0]]);
  }
  for (const [name, service] of Object.entries(state.services)) vars.push([grpcVariable(name), service.grpc]);
  if (state.dataDir) vars.push(['MGRPC_DATA_DIR', state.dataDir]);
  const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);
  return vars.map(([name, value]) => `  export ${name}=${quote(value)}\n`).join('');
}
