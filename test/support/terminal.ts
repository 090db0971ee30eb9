/**
 * A detached tmux session on a private server socket: a real pseudo-terminal, so stdin
 * and stdout are TTYs and the ink forms and `mgrpc ui` show up. Check `hasTmux` first.
 */
import { spawnSync } from 'node:child_process';

import { CLI, ROOT } from './system.js';
import { noteSlowWait } from './wait.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export interface TerminalOptions {
  columns?: number;
  rows?: number;
  /** Extra environment variables of the CLI. */
  env?: Record<string, string>;
  /** Variables the CLI must not see (removed with `env -u`). */
  unset?: string[];
  /** The working directory (default: the repository root). */
  cwd?: string;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export class Terminal {
  private readonly socket = `mgrpc-test-${process.pid}-${Math.random().toString(36).slice(2)}`;

  /** Runs `mgrpc <args>` in a new terminal of `columns` x `rows` (default 120 x 40). */
  constructor(args: string[], { columns = 120, rows = 40, env = {}, unset = [], cwd = ROOT }: TerminalOptions = {}) {
    const assignments = Object.entries(env).map(([name, value]) => quote(`${name}=${value}`));
    const command = [process.execPath, CLI, ...args].map(quote).join(' ');
    // The shell stays a moment after the CLI exits so the pane (and EXIT=) can be read.
    // `env -u CI`: under CI=true ink renders only its final frame (is-in-ci), which a person
    // at a terminal never sees; the pane must show what a user would.
    const removed = ['CI', ...unset].map((name) => `-u ${quote(name)}`).join(' ');
    this.tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), '-c', cwd, `env ${removed} ${[...assignments, command].join(' ')}; echo EXIT=$?; sleep 30`);
  }

  private tmux(...args: string[]): string {
    const result = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr}`);
    return result.stdout;
  }

  screen(): string {
    return this.tmux('capture-pane', '-p');
  }

  /**
   * Waits until the screen matches, and returns it: an event, not a time budget (the test's
   * timeout ends a hang); after `patienceMs` it shows once, on stderr, what the screen shows.
   */
  async waitFor(pattern: RegExp, patienceMs = 10_000): Promise<string> {
    const note = noteSlowWait(`the terminal to show ${pattern}`, Date.now(), patienceMs, () => this.screen());
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      note();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends text as one chunk, as a paste arrives. */
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  /** Sends named keys (`Enter`, `Down`, `Escape`, …). */
  press(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}
