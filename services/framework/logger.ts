/**
 * The one logger of mgrpc: named scopes, one line per event, to stderr so stdout stays
 * free for command output. LOG_LEVEL=debug|info|warn|error|silent (default info).
 * LOG_FORMAT=pretty|json (default: pretty when stderr is a terminal, json otherwise):
 * json is one object per line, `{time, level, service, scope, msg, request_id?, ...fields}`,
 * where service is the scope's first part. Inside a request (observability/request-context.ts)
 * every line carries its request id.
 *
 * @example
 *   const log = createLogger('dashboard.grpc');
 *   log.info('listening', { address: '127.0.0.1:10009' });
 */
import { currentRequestId } from './observability/request-context.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type Level = Exclude<keyof typeof LEVELS, 'silent'>;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether a line at `level` would be written now: a hot path builds its fields only then. */
  enabled(level: Level): boolean;
  child(scope: string): Logger;
}

function threshold(): number {
  const name = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as keyof typeof LEVELS;
  return LEVELS[name] ?? LEVELS.info;
}

export type LogFormat = 'pretty' | 'json';

/** LOG_FORMAT, else pretty at a terminal and json for pipes and files (collectors read json). */
export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const name = (env.LOG_FORMAT ?? '').toLowerCase();
  if (name === 'json' || name === 'pretty') return name;
  return process.stderr.isTTY ? 'pretty' : 'json';
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function jsonLine(level: Level, scope: string, message: string, fields: Record<string, unknown> | undefined): string {
  const line: Record<string, unknown> = { time: new Date().toISOString(), level, service: scope.split('.')[0], scope, msg: message };
  const requestId = currentRequestId();
  if (requestId !== undefined && fields?.request_id === undefined) line.request_id = requestId;
  for (const [key, value] of Object.entries(fields ?? {})) {
    // A field never overwrites the line's own keys (a field named `msg` would hide the message).
    if (value !== undefined) line[key in line ? `field_${key}` : key] = jsonValue(value);
  }
  return `${JSON.stringify(line)}\n`;
}

function render(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w.:/@-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

export function createLogger(scope: string): Logger {
  const write = (level: Level, message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < threshold()) return;
    if (logFormat() === 'json') {
      process.stderr.write(jsonLine(level, scope, message, fields));
      return;
    }
    const requestId = currentRequestId();
    if (requestId !== undefined && fields?.request_id === undefined) fields = { ...fields, request_id: requestId };
    const extra = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${render(v)}`)
          .join('')
      : '';
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${scope}] ${message}${extra}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    enabled: (level) => LEVELS[level] >= threshold(),
    child: (sub) => createLogger(`${scope}.${sub}`),
  };
}
