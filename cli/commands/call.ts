/**
 * `mgrpc call SERVICE/METHOD --data JSON`: calls any unary method of protos/ with proto3 JSON
 * in and out, like grpcurl without installing Go. The method is resolved against the stubs'
 * embedded descriptor (or, with --reflect, the server's reflection service); the address
 * defaults to the server of the method's service. A gRPC error is a CallFailure, printed
 * `ERROR: <CODE>: <details>` with exit 1 (cli/handle-error.ts); bad input a usage error (exit 2).
 */
import { Command } from 'commander';

import { collectMetadata, parseDeadline } from '../grpc-tools/options.js';

interface CallOptions {
  data: string;
  addr?: string;
  metadata?: [string, string][];
  deadline: number;
  reflect?: boolean;
}

export function callCommand(): Command {
  return new Command('call')
    .description('call a gRPC method with JSON in and JSON out; example: mgrpc call ProductService/LikeProduct --data \'{"id": "…"}\'')
    .argument('<method>', 'SERVICE/METHOD: product.ProductService/LikeProduct, ProductService/LikeProduct or ProductService.LikeProduct')
    .option('-d, --data <json>', 'the request as JSON, @FILE to read it from a file, - for stdin', '{}')
    .option('-a, --addr <host:port>', "server address (default: the service's server, from DASHBOARD_GRPC_SERVER / PRODUCT_GRPC_SERVER)")
    .option('-m, --metadata <key=value>', 'request metadata (repeatable)', collectMetadata)
    .option('--deadline <ms>', 'deadline of the call in milliseconds', parseDeadline, 10_000)
    .option('--reflect', "use the server's reflection service instead of the local protos")
    .action(async (spec: string, opts: CallOptions) => {
      const { grpcClientSecurity, loadDotenv } = await import('../../services/framework/index.js');
      const { readRequestJson } = await import('../grpc-tools/options.js');
      const { decodeToJson, encodeJson } = await import('../grpc-tools/json-message.js');
      const { defaultAddress } = await import('../grpc-tools/default-address.js');
      const { buildMetadata, callFailure, invokeUnary } = await import('../grpc-tools/invoke.js');
      const { localCatalog } = await import('../grpc-tools/local-catalog.js');
      const { UsageError } = await import('../handle-error.js');
      loadDotenv();
      const security = grpcClientSecurity(process.env);
      const metadata = opts.metadata ?? [];
      const serviceOf = (method: { service: { fullName: string } }) => method.service.fullName.replace(/^\./, '');
      let catalog = localCatalog();
      let address = opts.addr;
      if (opts.reflect) {
        // The local protos still tell which server a method they know lives on.
        address ??= await defaultAddress(serviceOf(catalog.method(spec)));
        const { catalogFromServer } = await import('../grpc-tools/reflection-client.js');
        const target = address;
        catalog = await catalogFromServer({ address, credentials: security.credentials, metadata: buildMetadata(metadata), deadlineMs: opts.deadline }).catch(
          (err: unknown) => {
            throw callFailure(err, target, 'server reflection failed: ');
          },
        );
      }
      const method = catalog.method(spec);
      if (method.method.requestStream || method.method.responseStream) {
        throw new UsageError(`${method.path} is a streaming method; mgrpc call supports unary methods only`);
      }
      address ??= await defaultAddress(serviceOf(method));
      const request = encodeJson(method.requestType, await readRequestJson(opts.data));
      const target = address;
      const response = await invokeUnary({ address, path: method.path, request, credentials: security.credentials, metadata, serviceToken: security.serviceToken, deadlineMs: opts.deadline }).catch(
        (err: unknown) => {
          throw callFailure(err, target);
        },
      );
      process.stdout.write(`${JSON.stringify(decodeToJson(method.responseType, response), null, 2)}
`);
    });
}
