import { Command } from 'commander';

export function upCommand(): Command {
  return new Command('up').description('TODO');
}
