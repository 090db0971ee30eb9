/**
 * `mgrpc call SERVICE/METHOD --data JSON`: calls any unary or server-streaming method of the project's
 * protos with proto3 JSON in and out, like grpcurl without installing Go. A stream prints one JSON
 * line per message as it arrives, until it ends (or --max-messages, --deadline, Ctrl-C). The method is resolved against the stubs'
 * embedded descriptor (or, with --reflect, the server's reflection service); the address
 * defaults to the server of the method's service. A gRPC error is a CallFailure, printed
 * `ERROR: <CODE>: <details>` with exit 1 (cli/handle-error.ts); bad input a usage error (exit 2).
 */
import { Command } from 'commander';

import type { CallMethodOptions } from '../grpc-tools/call-method.js';
import { collectMetadata, parseDeadline, parseMaxMessages } from '../grpc-tools/options.js';

export function callCommand(): Command {
  return new Command('call')
    .description('call a gRPC method with JSON in and JSON out; example: mgrpc call ProductService/LikeProduct --data \'{"id": "…"}\'')
    .argument('<method>', 'SERVICE/METHOD: product.ProductService/LikeProduct, ProductService/LikeProduct or ProductService.LikeProduct')
    .option('-d, --data <json>', 'the request as JSON, @FILE to read it from a file, - for stdin', '{}')
    .option('-a, --addr <host:port>', "server address (default: the service's server: $<SERVICE>_GRPC_SERVER, e.g. DASHBOARD_GRPC_SERVER, else the running `mgrpc up`'s, else its default port)")
    .option('-m, --metadata <key=value>', 'request metadata (repeatable)', collectMetadata)
    .option('--deadline <ms>', 'deadline of the call in milliseconds (default: 10000 for a unary call, none for a stream)', parseDeadline)
    .option('--max-messages <n>', 'server streams: stop after N messages', parseMaxMessages)
    .option('--reflect', "use the server's reflection service instead of the local protos")
    .action(async (spec: string, opts: CallMethodOptions) => {
      const { loadDotenv } = await import('../../services/framework/index.js');
      const { callMethod } = await import('../grpc-tools/call-method.js');
      loadDotenv();
      // A stream: one compact JSON line per message, as it arrives (pipe it to jq -c).
      const onMessage = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
      const response = await callMethod(spec, { ...opts, onMessage });
      if (response !== undefined) process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
    });
}
