/**
 * `npm run docs:commands`: rewrites docs/commands.md from the CLI's commander tree (see
 * command-reference.ts). Builds the tree without running any command, so it needs no
 * build, server or database.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { buildProgram } from '../main.js';
import { COMMAND_REFERENCE_PATH, commandReferenceFile, renderCommandReference } from './command-reference.js';

const file = commandReferenceFile();
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, renderCommandReference(buildProgram()));
process.stdout.write(`wrote ${COMMAND_REFERENCE_PATH}\n`);
