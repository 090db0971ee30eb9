/** Runs a commander program the way every mgrpc entry does (cli/main.ts, cli/serve/server-main.ts). */
import type { Command } from 'commander';

import { ENDS_WITHOUT_OUTPUT, tolerateClosedOutput } from './closed-output.js';
import { handleError } from './handle-error.js';

/** Parses `argv` with `program` and runs the command; errors exit through handleError. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  tolerateClosedOutput(ENDS_WITHOUT_OUTPUT.has(argv[2] ?? ''));
  // Usage errors anywhere in the tree exit 2 through one path (commander settings are not inherited by added commands).
  const configure = (command: Command): void => {
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
    command.commands.forEach(configure);
  };
  configure(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = handleError(err);
  }
}
