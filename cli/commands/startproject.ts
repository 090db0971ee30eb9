import { Command } from 'commander';

export function startprojectCommand(): Command {
  return new Command('startproject').argument('<dir>');
}
