/** `mgrpc user create`: a user on the dashboard, whose id `mgrpc product like --user` takes. */
import { Command } from 'commander';

import { serviceUrls, withClientOptions, type ClientOptions } from '../client/options.js';

function createCommand(): Command {
  return withClientOptions(new Command('create'))
    .description('create a user on the dashboard and print its id')
    .action(async (opts: ClientOptions) => {
      const { clientApi } = await import('../client/api.js');
      const { formatUserCreated, jsonOutput } = await import('../client/format.js');
      const { data, raw } = await clientApi(serviceUrls(opts)).dashboard.createUser();
      process.stdout.write(opts.json ? jsonOutput(raw) : formatUserCreated(data));
    });
}

export function userCommand(): Command {
  return new Command('user').description('users of the dashboard (the ones who like products)').addCommand(createCommand());
}
