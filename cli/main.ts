/**
 * The mgrpc program: one commander tree, one command per file under commands/, and one
 * error handler. Commands import their heavy modules inside their actions so that
 * `mgrpc --help` never loads grpc, Sequelize or ink.
 */
import { Command } from 'commander';

import { notInThisProject, projectWithoutDemo } from './client/demo-services.js';
import { benchCommand } from './commands/bench.js';
import { callCommand } from './commands/call.js';
import { codegenCommand } from './commands/codegen.js';
import { describeCommand } from './commands/describe.js';
import { grpcrunserverCommand } from './commands/grpcrunserver.js';
import { makemigrationsCommand } from './commands/makemigrations.js';
import { migrateCommand } from './commands/migrate.js';
import { outboxCommand } from './commands/outbox.js';
import { productCommand } from './commands/product.js';
import { runserverCommand } from './commands/runserver.js';
import { shellCommand } from './commands/shell.js';
import { showmigrationsCommand } from './commands/showmigrations.js';
import { uiCommand } from './commands/ui.js';
import { startprojectCommand } from './commands/startproject.js';
import { startserviceCommand } from './commands/startservice.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { userCommand } from './commands/user.js';
import { runProgram } from './run-program.js';

export function buildProgram(): Command {
  const program = new Command('mgrpc')
    .description('TypeScript toolkit and CLI for microservices that share data over gRPC')
    .version('0.1.0');
  // `product`, `user` and `ui` talk to mgrpc's demo services: in a project without them, hidden stand-ins say so.
  const project = projectWithoutDemo();
  const demo = (...commands: Command[]) => (project ? [] : commands);
  for (const command of [
    codegenCommand(),
    migrateCommand(),
    makemigrationsCommand(),
    showmigrationsCommand(),
    shellCommand(),
    outboxCommand(),
    runserverCommand(),
    grpcrunserverCommand(),
    upCommand(),
    statusCommand(),
    ...demo(productCommand(), userCommand()),
    benchCommand(),
    ...demo(uiCommand()),
    startserviceCommand(),
    startprojectCommand(),
    callCommand(),
    describeCommand(),
  ]) {
    program.addCommand(command);
  }
  if (project) for (const verb of ['product', 'user', 'ui']) program.addCommand(notInThisProject(verb, project), { hidden: true });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
