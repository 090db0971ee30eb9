/**
 * Database URLs: which dialect a URL names, and how it is shown in logs. Kept apart from
 * connect.ts so that code which only reads or prints a URL (the CLI's option parsing, the
 * bench's) does not load Sequelize and sqlite3 with it: that alone is a quarter of a second
 * on every `mgrpc` command.
 */
import path from 'node:path';

export type Dialect = 'sqlite' | 'postgres';

export function sqliteUrl(file: string): string {
  return `sqlite:${file}`;
}

/** The file of a sqlite: URL, absolute (or ':memory:'): sqlite:///abs, sqlite://rel and sqlite:rel. */
export function sqliteStorage(url: string): string {
  const rest = url.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '') return ':memory:';
  const file = rest.startsWith('///') ? rest.slice(2) : rest.startsWith('//') ? rest.slice(2) : rest;
  return path.resolve(file);
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`unsupported DATABASE_URL '${redactUrl(url)}': use sqlite:PATH or postgres://USER@HOST:PORT/DB`);
}

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
