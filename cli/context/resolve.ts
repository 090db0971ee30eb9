/**
 * Where a command finds the running system, one setting at a time, and where each answer
 * came from, so a "cannot reach" message can say it: an explicit flag, else its environment
 * variable, else the state file of the `up` running for this project (state-file.ts), else
 * mgrpc's default. Light (no grpc, no database): client commands use it on every run.
 *
 * @example
 *   const { value, from } = restUrl('dashboard', opts.dashboard);
 *   // value 'http://127.0.0.1:41008', from '`mgrpc up` started 2026-12-06 19:50:01 (pid 4242, /p/.mgrpc/state.json)'
 */
import path from 'node:path';

import { localAddress } from '../../services/framework/server-process.js';
import { localTime, readUpState, type ReadState, type UpState } from './state-file.js';

/** A setting and, in words, where it came from. */
export interface Resolved {
  value: string;
  from: string;
  /** Came from the state file of a running `up`. */
  fromUp?: boolean;
}

let context: ReadState | undefined;

/** The state of this project's running `up`, read once per run; a stale file's note goes to stderr once. */
export function upContext(): ReadState {
  if (!context) {
    context = readUpState();
    if (context.note) process.stderr.write(`note: ${context.note}\n`);
  }
  return context;
}

/** For tests: forget what was read. */
export function resetUpContext(): void {
  context = undefined;
}

export function describeUp(state: UpState, file: string): string {
  return `\`mgrpc up\` started ${localTime(state.startedAt)} (pid ${state.pid}, ${file})`;
}

function fromState(pick: (state: UpState) => string | undefined): Resolved | undefined {
  const { state, file } = upContext();
  const value = state && pick(state);
  return value ? { value, from: describeUp(state, file), fromUp: true } : undefined;
}

function byDefault(value: string): Resolved {
  const { state, file } = upContext();
  return { value, from: state ? `the default, as the \`mgrpc up\` of ${file} does not run it` : `the default, as no \`mgrpc up\` runs for ${path.dirname(path.dirname(file))}` };
}

/** MGRPC_DASHBOARD_URL: the variable naming a REST service's base URL. */
export const urlVariable = (service: string) => `MGRPC_${service.toUpperCase().replace(/-/g, '_')}_URL`;
/** DASHBOARD_GRPC_SERVER: the variable naming a service's gRPC target. */
export const grpcVariable = (service: string) => `${service.toUpperCase().replace(/-/g, '_')}_GRPC_SERVER`;

/** The REST base URL of `service`: --<service>, MGRPC_<SERVICE>_URL, the running `up`, the default port. */
export function restUrl(service: 'dashboard' | 'product', flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Resolved {
  if (flag) return { value: flag, from: `--${service}` };
  const variable = urlVariable(service);
  if (env[variable]) return { value: env[variable]!, from: variable };
  return fromState((s) => s.services[service]?.rest[0]) ?? byDefault(`http://${localAddress(service, 'rest')}`);
}

/** The gRPC target of `service`: <SERVICE>_GRPC_SERVER, the running `up`, else `fallback` (its default port). */
export function grpcTarget(service: string, fallback: string, env: NodeJS.ProcessEnv = process.env): Resolved {
  const variable = grpcVariable(service);
  if (env[variable]) return { value: env[variable]!, from: variable };
  return fromState((s) => s.services[service]?.grpc) ?? byDefault(fallback);
}

/**
 * Where the services' SQLite files are: --data-dir, MGRPC_DATA_DIR, the running `up`'s, ./data.
 * `databases` are the running `up`'s PostgreSQL URLs (redacted) when it runs on --database.
 */
export function dataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Resolved & { databases?: Record<string, string> } {
  if (flag) return { value: path.resolve(flag), from: '--data-dir' };
  if (env.MGRPC_DATA_DIR) return { value: path.resolve(env.MGRPC_DATA_DIR), from: 'MGRPC_DATA_DIR' };
  const { state, file } = upContext();
  if (state?.dataDir) return { value: state.dataDir, from: describeUp(state, file), fromUp: true };
  if (state) return { value: path.resolve('data'), from: describeUp(state, file), fromUp: true, databases: state.databases };
  return { ...byDefault(path.resolve('data')) };
}
