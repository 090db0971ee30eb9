/**
 * `mgrpc call SERVICE/METHOD --data JSON`: calls any unary method of the project's protos with proto3 JSON
 * in and out, like grpcurl without installing Go. The method is resolved against the stubs'
 * embedded descriptor (or, with --reflect, the server's reflection service); the address
 * defaults to the server of the method's service. A gRPC error is a CallFailure, printed
 * `ERROR: <CODE>: <details>` with exit 1 (cli/handle-error.ts); bad input a usage error (exit 2).
 */
import { Command } from 'commander';

import type { CallMethodOptions } from '../grpc-tools/call-method.js';
import { collectMetadata, parseDeadline } from '../grpc-tools/options.js';

export function callCommand(): Command {
  return new Command('call')
    .description('call a gRPC method with JSON in and JSON out; example: mgrpc call ProductService/LikeProduct --data \'{"id": "…"}\'')
    .argument('<method>', 'SERVICE/METHOD: product.ProductService/LikeProduct, ProductService/LikeProduct or ProductService.LikeProduct')
    .option('-d, --data <json>', 'the request as JSON, @FILE to read it from a file, - for stdin', '{}')
    .option('-a, --addr <host:port>', "server address (default: the service's server: $<SERVICE>_GRPC_SERVER, e.g. DASHBOARD_GRPC_SERVER, else the running `mgrpc up`'s, else its default port)")
    .option('-m, --metadata <key=value>', 'request metadata (repeatable)', collectMetadata)
    .option('--deadline <ms>', 'deadline of the call in milliseconds', parseDeadline, 10_000)
    .option('--reflect', "use the server's reflection service instead of the local protos")
    .action(async (spec: string, opts: CallMethodOptions) => {
      const { loadDotenv } = await import('../../services/framework/index.js');
      const { callMethod } = await import('../grpc-tools/call-method.js');
      loadDotenv();
      const response = await callMethod(spec, opts);
      process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
    });
}
