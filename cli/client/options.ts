/**
 * What every client command shares: where the two REST APIs are (flag, else environment,
 * else the running `mgrpc up` of this project, else the ports of
 * services/framework/server-process.ts: cli/context/resolve.ts), `--json`, and value checks
 * that fail as usage errors (exit 2) before any request is made.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

import { localAddress } from '../../services/framework/server-process.js';
import { restUrl, urlVariable, type Resolved } from '../context/resolve.js';
import { UsageError } from '../handle-error.js';
import type { ServiceUrls } from './api.js';
import { normalizeBaseUrl } from './http.js';

export const DEFAULT_URLS: ServiceUrls = {
  dashboard: `http://${localAddress('dashboard', 'rest')}`,
  product: `http://${localAddress('product', 'rest')}`,
};

/** The flags as given: --dashboard and --product are absent unless typed. */
export interface ClientOptions {
  dashboard?: string;
  product?: string;
  json?: boolean;
}

function urlParser(example: string) {
  return (value: string): string => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`expected an http(s) URL such as ${example}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError(`expected an http(s) URL such as ${example}`);
    }
    if (url.search || url.hash) throw new InvalidArgumentError('expected a base URL without ?query or #fragment');
    return normalizeBaseUrl(url.href);
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids of products and users are UUIDs, as `mgrpc product list` and `mgrpc user create` print them. */
export function isUuid(value: string): boolean {
  return UUID.test(value.trim());
}

/** A commander parser: the trimmed, lower-cased UUID, or a usage error. */
export function parseUuid(value: string): string {
  const trimmed = value.trim();
  if (!isUuid(trimmed)) throw new InvalidArgumentError('expected a UUID such as 3f2b8c1e-6f1d-4c8e-9a57-1b2c3d4e5f60');
  return trimmed.toLowerCase();
}

/** A commander parser for text that must not be blank. */
export function parseNonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value;
}

/** Each REST API's URL and where it came from (flag, variable, running `up`, default); a bad variable is a usage error. */
export function serviceUrls(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env): { dashboard: Resolved; product: Resolved } {
  const resolve = (service: 'dashboard' | 'product'): Resolved => {
    const resolved = restUrl(service, opts[service], env);
    if (resolved.from !== urlVariable(service)) return resolved;
    try {
      return { ...resolved, value: urlParser(DEFAULT_URLS[service])(resolved.value) };
    } catch (err) {
      throw new UsageError(`${urlVariable(service)}=${resolved.value}: ${(err as Error).message}`);
    }
  };
  return { dashboard: resolve('dashboard'), product: resolve('product') };
}

/**
 * Adds `--dashboard`, `--product` and `--json` to a client command, and makes commander
 * errors (unknown option, bad value) reach the CLI's error handling as exit code 2.
 */
export function withClientOptions(command: Command): Command {
  return withServiceUrls(command).option('--json', "print the server's JSON answer as is (for scripts)");
}

/** `--dashboard` and `--product` only (for commands with no JSON to print, like `mgrpc ui`). */
export function withServiceUrls(command: Command): Command {
  return command
    .addOption(
      new Option('--dashboard <url>', `the dashboard's REST API (default: $MGRPC_DASHBOARD_URL, else the running \`mgrpc up\`'s, else ${DEFAULT_URLS.dashboard})`).argParser(
        urlParser(DEFAULT_URLS.dashboard),
      ),
    )
    .addOption(
      new Option('--product <url>', `the product service's REST API (default: $MGRPC_PRODUCT_URL, else the running \`mgrpc up\`'s, else ${DEFAULT_URLS.product})`).argParser(
        urlParser(DEFAULT_URLS.product),
      ),
    )
    .exitOverride();
}
