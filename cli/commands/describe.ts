/**
 * `mgrpc describe [NAME]`: the services of the project's protos (a `startproject` project's
 * own, else mgrpc's protos/) with their methods, or one service,
 * method or message with the fields of every message it uses. `--addr` asks a running
 * server through reflection instead of reading the local protos.
 */
import { Command } from 'commander';

import { collectMetadata, parseDeadline } from '../grpc-tools/options.js';

interface DescribeOptions {
  addr?: string;
  metadata?: [string, string][];
  deadline: number;
}

export function describeCommand(): Command {
  return new Command('describe')
    .description('list gRPC services and methods, or show a service, method or message; example: mgrpc describe product.Product')
    .argument('[name]', 'a service, method or message (full or without its package)')
    .option('-a, --addr <host:port>', "describe what this server serves, through its reflection service (default: this project's own protos)")
    .option('-m, --metadata <key=value>', 'metadata for the reflection call (repeatable)', collectMetadata)
    .option('--deadline <ms>', 'deadline of the reflection call in milliseconds', parseDeadline, 10_000)
    .action(async (name: string | undefined, opts: DescribeOptions) => {
      const { describeAll, describeOne } = await import('../grpc-tools/describe-text.js');
      let catalog;
      if (opts.addr) {
        const { grpcClientSecurity, loadDotenv } = await import('../../services/framework/index.js');
        const { catalogFromServer } = await import('../grpc-tools/reflection-client.js');
        const { buildMetadata, callFailure } = await import('../grpc-tools/invoke.js');
        loadDotenv();
        const address = opts.addr;
        catalog = await catalogFromServer({
          address,
          credentials: grpcClientSecurity(process.env).credentials,
          metadata: buildMetadata(opts.metadata ?? []),
          deadlineMs: opts.deadline,
        }).catch((err: unknown) => {
          throw callFailure(err, address, 'server reflection failed: ', '--addr');
        });
      } else {
        const { localCatalog } = await import('../grpc-tools/local-catalog.js');
        catalog = await localCatalog();
      }
      process.stdout.write(`${name ? describeOne(catalog.lookup(name)) : describeAll(catalog)}\n`);
    });
}
