/**
 * TextPrompt in a real ink render, over a fake terminal: chunks written to its stdin as a
 * terminal sends them, the frames read from its stdout.
 */
import { PassThrough } from 'node:stream';

import { render } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';

import { waitUntil } from '../../test/support/wait.js';
import { TextPrompt } from './text-prompt.js';

function fakeTerminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
  let frames = '';
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 20 });
  stdout.on('data', (d: Buffer) => (frames += d.toString()));
  // The last frame, without colours: what a person sees now.
  const last = () => {
    const plain = frames.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '');
    return plain.slice(plain.lastIndexOf('? Title'));
  };
  return { stdin, stdout, last };
}

let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

describe('TextPrompt', () => {
  it('edits with chunked keys as a terminal sends them, and submits the edited line', async () => {
    const terminal = fakeTerminal();
    let submitted: string | undefined;
    const app = render(<TextPrompt label="Title" initial="Mechanical pencil" onSubmit={(v) => (submitted = v)} onCancel={() => {}} />, {
      stdin: terminal.stdin as unknown as NodeJS.ReadStream,
      stdout: terminal.stdout as unknown as NodeJS.WriteStream,
      patchConsole: false,
      exitOnCtrlC: false,
      // Every frame written whole, also where CI is set (ink then renders only the last frame).
      debug: true,
    });
    unmount = app.unmount;
    await waitUntil('the prompt', () => terminal.last().includes('Mechanical pencil'));
    terminal.stdin.write('\x7f\x7f\x7f\x7f\x7f\x7f');
    await waitUntil('six characters deleted', () => /Title: Mechanical\s/.test(terminal.last()));
    terminal.stdin.write('\x15');
    terminal.stdin.write('Pen');
    terminal.stdin.write('\x01');
    terminal.stdin.write('Red ');
    terminal.stdin.write('\x05\r');
    await waitUntil('the submit', () => submitted !== undefined);
    expect(submitted).toBe('Red Pen');
  });
});
