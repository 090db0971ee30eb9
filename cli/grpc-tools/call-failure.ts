/**
 * A call the server or the network refused. The CLI's error handler prints it as
 * grpcurl-style `ERROR: <CODE>: <details>` on stderr and exits 1 (a usage error would exit 2).
 * Made from a grpc-js error by `callFailure()` (invoke.ts); this module loads no grpc, so the
 * error handler can know the class without loading grpc-js on every run.
 */
export class CallFailure extends Error {
  constructor(
    /** The gRPC status name (NOT_FOUND, UNAVAILABLE, …). */
    readonly status: string,
    readonly details: string,
  ) {
    super(details);
    this.name = 'CallFailure';
  }

  /** `ERROR: NOT_FOUND: product … does not exist` */
  get line(): string {
    return `ERROR: ${this.status}: ${this.details}`;
  }
}
