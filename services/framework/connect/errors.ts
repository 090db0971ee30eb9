/**
 * AppError -> Connect error. Connect's codes are gRPC's status codes by definition (the
 * Connect protocol names the same sixteen, with the same numbers), so the one table in
 * ../errors.ts, through each code's gRPC status, also decides what a Connect or gRPC-Web
 * client sees; errors.test.ts checks the two numberings still agree. The message is
 * bounded and cleaned as gRPC's is (safeDetails), and an INTERNAL error says only
 * "internal error": its cause goes to the log, never to the client.
 *
 * @example
 *   throw toConnectError(AppError.notFound('product 42 not found')); // Code.NotFound
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { status as GrpcStatus } from '@grpc/grpc-js';

import type { AppError } from '../errors.js';
import { safeDetails } from '../grpc/server.js';

/** The Connect code of an error, from the same table as its gRPC status. */
export function connectCode(error: AppError): Code {
  return error.grpcStatus as number as Code;
}

export function toConnectError(error: AppError): ConnectError {
  return new ConnectError(safeDetails(error.message), connectCode(error));
}

/** The name logs and metrics give a Connect code (0 for OK): gRPC's (`NOT_FOUND`), as the gRPC server writes it. */
export function codeName(code: Code | 0): string {
  return GrpcStatus[code] ?? String(code);
}
