/**
 * docs/commands.md is generated from the commander tree; like `codegen --check` for the
 * stubs, this fails when the committed page is not what the tree renders today.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { buildProgram } from '../main.js';
import { COMMAND_REFERENCE_PATH, REGENERATE_COMMAND, commandReferenceFile, renderCommandReference } from './command-reference.js';

describe('docs/commands.md', () => {
  it('is what the CLI renders today', () => {
    let committed = '';
    try {
      committed = readFileSync(commandReferenceFile(), 'utf8');
    } catch {
      // A missing page fails below with the same fix.
    }
    expect(committed, `${COMMAND_REFERENCE_PATH} is stale: run \`${REGENERATE_COMMAND}\` and commit the result`).toBe(renderCommandReference(buildProgram()));
  });

  it('has a section for every command and subcommand', () => {
    const page = renderCommandReference(buildProgram());
    for (const heading of ['## mgrpc up', '## mgrpc product like', '## mgrpc user create', '## mgrpc codegen']) expect(page).toContain(`\n${heading}\n`);
    expect(page).not.toContain('## mgrpc help');
  });
});
