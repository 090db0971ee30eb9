/**
 * The one logger of mgrpc: named scopes, one line per event, to stderr so stdout stays
 * free for command output. LOG_LEVEL=debug|info|warn|error|silent (default info).
 *
 * @example
 *   const log = createLogger('dashboard.grpc');
 *   log.info('listening', { address: '127.0.0.1:10009' });
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'silent'>;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

function threshold(): number {
  const name = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as keyof typeof LEVELS;
  return LEVELS[name] ?? LEVELS.info;
}

function render(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w.:/@-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

export function createLogger(scope: string): Logger {
  const write = (level: Level, message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < threshold()) return;
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
    child: (sub) => createLogger(`${scope}.${sub}`),
  };
}
