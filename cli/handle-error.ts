/**
 * The CLI's single error handler: every error a command throws ends here, and one table says
 * how each kind ends the process — its exit code and its line on stderr. Never a stack trace
 * (set MGRPC_DEBUG=1 to see one). The classes in the table are light (no grpc, no database),
 * as main.ts imports this module for every run.
 */
import { CommanderError } from 'commander';

import { CallFailure } from './grpc-tools/call-failure.js';
import { MigrationError } from './migrations/migration-error.js';
import { ScaffoldError } from './scaffold/scaffold-error.js';

/** The command line asks for something that cannot work; the message says what to change. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface Exit<E extends Error> {
  kind: abstract new (...args: never[]) => E;
  code(err: E): number;
  /** What goes to stderr; undefined: nothing (it is printed already). Default `error: <message>`. */
  line?(err: E): string | undefined;
}

const exit = <E extends Error>(rule: Exit<E>): Exit<Error> => rule as unknown as Exit<Error>;

/** The first row whose class the error is an instance of decides; anything else exits 1. */
const EXITS: readonly Exit<Error>[] = [
  // Help, version or a usage error commander printed itself (its own exit code is 0 or 1).
  exit({ kind: CommanderError, code: (err) => (err.exitCode === 0 ? 0 : 2), line: () => undefined }),
  exit({ kind: UsageError, code: () => 2 }),
  exit({ kind: ScaffoldError, code: () => 2 }),
  exit({ kind: MigrationError, code: () => 2 }),
  // grpcurl's form, which scripts around `mgrpc call` already parse.
  exit({ kind: CallFailure, code: () => 1, line: (err) => err.line }),
];

/** Prints the error as its row says and returns the process's exit code. */
export function handleError(err: unknown): number {
  const rule = EXITS.find((row) => err instanceof row.kind);
  const error = err instanceof Error ? err : new Error(String(err));
  const line = rule?.line ? rule.line(error) : `error: ${error.message}`;
  if (line !== undefined) process.stderr.write(`${line}\n`);
  if (process.env.MGRPC_DEBUG && err instanceof Error && err.stack && !(err instanceof CommanderError)) process.stderr.write(`${err.stack}\n`);
  return rule ? rule.code(error) : 1;
}
