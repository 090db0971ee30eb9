/**
 * docs/commands.md, rendered from the commander tree that `mgrpc` itself runs (cli/main.ts
 * `buildProgram`), so the reference says what `--help` says and cannot drift from it.
 * `npm run docs:commands` writes it (write-command-reference.ts); command-reference.test.ts
 * fails when the committed page differs from what the tree renders.
 *
 * The text is commander's own (`Help`: usage, descriptions, defaults, choices, env
 * variables), unwrapped, so the output does not depend on the terminal it is made in.
 *
 * @example
 *   const markdown = renderCommandReference(buildProgram());
 */
import path from 'node:path';

import { Help, type Command } from 'commander';

/** Where the page lives, from the repository root. */
export const COMMAND_REFERENCE_PATH = 'docs/commands.md';

/** The command that rewrites the page; stale-page messages name it. */
export const REGENERATE_COMMAND = 'npm run docs:commands';

/** The page's absolute path in this checkout (cli/docs/ -> the root). */
export function commandReferenceFile(root = path.resolve(import.meta.dirname, '../..')): string {
  return path.join(root, COMMAND_REFERENCE_PATH);
}

// Outside code spans `<name>` would read as an HTML tag, and `|` would end a table cell.
function escapeProse(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}

/** Markdown for commander's plain text: its `backtick spans` kept as code, the rest escaped. */
function inline(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? `\`${part.replace(/\|/g, '\\|')}\`` : escapeProse(part)))
    .join('');
}

function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

/** The commands under `cmd`, depth first, as commander lists them (the implicit `help` left out). */
function walk(cmd: Command, help: Help): Command[] {
  return help
    .visibleCommands(cmd)
    .filter((sub) => cmd.commands.includes(sub))
    .flatMap((sub) => [sub, ...walk(sub, help)]);
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** GitHub's anchor for a heading made of plain words and spaces. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/\s+/g, '-');
}

function section(cmd: Command, help: Help): string[] {
  const lines = [`## ${fullName(cmd)}`, '', '```', help.commandUsage(cmd), '```', '', inline(help.commandDescription(cmd)), ''];

  const args = help.visibleArguments(cmd);
  if (args.length > 0) {
    lines.push('| argument | |', '| --- | --- |');
    for (const arg of args) lines.push(`| ${code(help.argumentTerm(arg))} | ${inline(help.argumentDescription(arg))} |`);
    lines.push('');
  }

  const options = help.visibleOptions(cmd).filter((option) => option.long !== '--help');
  if (options.length > 0) {
    lines.push('| option | |', '| --- | --- |');
    for (const option of options) lines.push(`| ${code(help.optionTerm(option))} | ${inline(help.optionDescription(option))} |`);
    lines.push('');
  }

  const subcommands = help.visibleCommands(cmd).filter((sub) => cmd.commands.includes(sub));
  if (subcommands.length > 0) {
    lines.push('| subcommand | |', '| --- | --- |');
    for (const sub of subcommands) lines.push(`| [${code(help.subcommandTerm(sub))}](#${anchor(fullName(sub))}) | ${inline(help.subcommandDescription(sub))} |`);
    lines.push('');
  }
  return lines;
}

/** The whole page for a program: an index of every command, then one section each. */
export function renderCommandReference(program: Command): string {
  const help = new Help();
  const commands = walk(program, help);
  const lines = [
    '# Command reference',
    '',
    `<!-- Generated from the CLI's commander definitions (cli/docs/command-reference.ts). Do not edit: run \`${REGENERATE_COMMAND}\`. -->`,
    '',
    `Every command below, as \`${program.name()} <command> --help\` prints it. Every command also takes \`-h, --help\`;`,
    `usage errors exit 2, other failures 1. Inside this repository run them as \`npx ${program.name()} …\`.`,
    '',
    '| command | what it does |',
    '| --- | --- |',
    ...commands.map((cmd) => `| [${code(fullName(cmd))}](#${anchor(fullName(cmd))}) | ${inline(help.subcommandDescription(cmd))} |`),
    '',
  ];
  for (const cmd of commands) lines.push(...section(cmd, help));
  return `${lines.join('\n').trimEnd()}\n`;
}
