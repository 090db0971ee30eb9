/**
 * The CLI's single error handler: one readable line on stderr, never a stack trace
 * (set MGRPC_DEBUG=1 to see one), and an exit code: 2 for usage errors, 1 otherwise.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function handleError(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.MGRPC_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return err instanceof UsageError ? 2 : 1;
}
