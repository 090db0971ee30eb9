import * as grpc from '@grpc/grpc-js';

/**
 * A call the server or the network refused. `mgrpc call` prints it as grpcurl-style
 * `ERROR: <CODE>: <details>` on stderr and exits 1 (a usage error would exit 2).
 */
export class CallFailure extends Error {
  constructor(
    readonly code: number | undefined,
    readonly details: string,
  ) {
    super(details);
    this.name = 'CallFailure';
  }

  /** `ERROR: NOT_FOUND: product … does not exist` */
  get line(): string {
    const name = this.code === undefined ? 'UNKNOWN' : (grpc.status[this.code] ?? `CODE_${this.code}`);
    return `ERROR: ${name}: ${this.details}`;
  }

  /** From a grpc-js ServiceError (or anything thrown while calling), noting where it went. */
  static from(err: unknown, address: string, what = ''): CallFailure {
    const error = err as { code?: unknown; details?: unknown; message?: unknown };
    const code = typeof error?.code === 'number' ? error.code : undefined;
    const details = typeof error?.details === 'string' && error.details ? error.details : String(error?.message ?? err);
    const where = code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED ? ` (server ${address})` : '';
    return new CallFailure(code, `${what}${details}${where}`);
  }
}
