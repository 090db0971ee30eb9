/**
 * `mgrpc ui`: an interactive console against the running services — a live product table
 * (likes, synced or pending on the product service), the four servers' health, and keys to
 * create, edit, delete and like. It needs a terminal; anywhere else it is a usage error.
 */
import { Command } from 'commander';

import { isInteractive } from '../client/ask.js';
import { serviceUrls, withServiceUrls, type ClientOptions } from '../client/options.js';
import { UsageError } from '../handle-error.js';

export function uiCommand(): Command {
  return withServiceUrls(new Command('ui'))
    .description('interactive console: live products and server health, with keys to create, edit, delete and like')
    .action(async (opts: ClientOptions) => {
      if (!isInteractive()) {
        throw new UsageError('mgrpc ui needs a terminal (stdin and stdout must be a TTY); in scripts use `mgrpc product list` and the other product commands');
      }
      const urls = serviceUrls(opts);
      const { runConsole } = await import('../ui/console/run-console.js');
      await runConsole({ dashboard: urls.dashboard.value, product: urls.product.value });
    });
}
