/**
 * The bundle's entry (build/bundle-servers.mjs, cli/serve/bundle.ts): the mgrpc program with
 * only the two commands that serve, so the bundle holds what a server runs and nothing of the
 * CLI's other commands (less to read and compile at every start). Same parsing, same errors.
 */
import { Command } from 'commander';

import { grpcrunserverCommand } from '../commands/grpcrunserver.js';
import { runserverCommand } from '../commands/runserver.js';
import { runProgram } from '../run-program.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('mgrpc').description('TypeScript toolkit and CLI for microservices that share data over gRPC').version('0.1.0');
  program.addCommand(runserverCommand());
  program.addCommand(grpcrunserverCommand());
  await runProgram(program, argv);
}
