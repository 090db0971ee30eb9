/**
 * Environment handling shared by every service: `.env` loading and address parsing.
 * Each service parses its own settings once, in its `config.ts`.
 */
import { existsSync } from 'node:fs';

/** Reads `.env` from the working directory if present; real environment variables win. */
export function loadDotenv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses a listen address the way Django's runserver does: `PORT`, `HOST:PORT`, `[V6]:PORT`
 * or nothing. Throws a message that shows the accepted forms.
 */
export function parseListenAddress(value: string | undefined, fallback: ListenAddress): ListenAddress {
  if (value === undefined || value === '') return fallback;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid address '${value}': expected PORT, HOST:PORT or [IPV6]:PORT (for example 127.0.0.1:10008)`);
  }
  return { host: match[1] || match[2] || fallback.host, port };
}

export function formatAddress({ host, port }: ListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A positive integer from the environment, or the fallback; a bad value fails at start-up. */
export function envInt(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}
