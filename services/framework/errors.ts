/**
 * The one error type of mgrpc and the one table that maps it to gRPC and HTTP.
 *
 * Handlers, actions and clients throw `AppError` (or anything at all); the gRPC and REST
 * layers call `AppError.from(err)` exactly once, at their edge, and answer with the code's
 * gRPC status or HTTP status. Anything that is not a known, safe-to-show error becomes
 * INTERNAL with a fixed message, so no stack trace or SQL ever leaves a server.
 *
 * @example
 *   throw AppError.notFound(`product ${id} not found`);
 *   throw new AppError('INVALID_ARGUMENT', 'title: must be at most 200 characters', { field: 'title' });
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

import { LIBRARY_TRANSLATORS } from './error-translators.js';

export const ERROR_CODES = {
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400 },
  // A REST body that is not JSON; the nearest gRPC status (gRPC has no content types of ours).
  UNSUPPORTED_MEDIA_TYPE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 415 },
  FAILED_PRECONDITION: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 400 },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401 },
  PERMISSION_DENIED: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403 },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404 },
  ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409 },
  PAYLOAD_TOO_LARGE: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 413 },
  RESOURCE_EXHAUSTED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429 },
  CANCELLED: { grpc: GrpcStatus.CANCELLED, http: 499 },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, http: 500 },
  UNIMPLEMENTED: { grpc: GrpcStatus.UNIMPLEMENTED, http: 501 },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, http: 503 },
  DEADLINE_EXCEEDED: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 504 },
  // A REST method a route does not serve (its answer carries `Allow`); gRPC's nearest is an unknown method.
  METHOD_NOT_ALLOWED: { grpc: GrpcStatus.UNIMPLEMENTED, http: 405 },
} as const satisfies Record<string, { grpc: GrpcStatus; http: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

const INTERNAL_MESSAGE = 'internal error';

export interface AppErrorOptions {
  /** The request field the error is about, for clients that highlight it. */
  field?: string;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.field = options.field;
  }

  get grpcStatus(): GrpcStatus {
    return ERROR_CODES[this.code].grpc;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  /** The body a REST client receives. */
  toJSON(): { code: ErrorCode; message: string; field?: string } {
    return this.field ? { code: this.code, message: this.message, field: this.field } : { code: this.code, message: this.message };
  }

  static invalid(field: string, problem: string): AppError {
    return new AppError('INVALID_ARGUMENT', `${field}: ${problem}`, { field });
  }

  static notFound(message: string): AppError {
    return new AppError('NOT_FOUND', message);
  }

  /** True when `AppError.from` would have to hide this error behind "internal error". */
  static isInternal(err: AppError): boolean {
    return err.code === 'INTERNAL';
  }

  /**
   * Normalises anything thrown into an AppError: library errors (zod, Sequelize, body
   * parsing, routing: `error-translators.ts`), a gRPC status from another service, then any
   * translator registered with `registerErrorTranslator`; the rest is INTERNAL.
   */
  static from(err: unknown): AppError {
    if (err instanceof AppError) return err;
    for (const translate of LIBRARY_TRANSLATORS) {
      const t = translate(err);
      if (t) return new AppError(t.code, t.message, { field: t.field, cause: t.keepCause ? err : undefined });
    }
    const relayed = fromGrpcStatus(err);
    if (relayed) return relayed;
    for (const translate of translators) {
      const translated = translate(err);
      if (translated) return translated;
    }
    return new AppError('INTERNAL', INTERNAL_MESSAGE, { cause: err });
  }
}

/** A gRPC status from another service that reached us unwrapped: keep its code and text. */
function fromGrpcStatus(err: unknown): AppError | undefined {
  const e = err as { code?: unknown; details?: unknown; metadata?: unknown } | null;
  if (e && typeof e.code === 'number' && typeof e.details === 'string' && e.metadata !== undefined) {
    const code = codeForGrpcStatus(e.code);
    return code === 'INTERNAL' ? undefined : new AppError(code, e.details, { cause: err });
  }
  return undefined;
}

export type ErrorTranslator = (err: unknown) => AppError | undefined;

const translators: ErrorTranslator[] = [];

/** Teaches `AppError.from` about one more family of errors (tried after the built-in ones). */
export function registerErrorTranslator(translate: ErrorTranslator): void {
  translators.push(translate);
}

/** Reverse of the table: the code for a gRPC status received from another service. */
export function codeForGrpcStatus(status: number): ErrorCode {
  for (const [code, mapping] of Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][]) {
    if (mapping.grpc === status && code !== 'PAYLOAD_TOO_LARGE' && code !== 'METHOD_NOT_ALLOWED') return code;
  }
  return 'INTERNAL';
}
