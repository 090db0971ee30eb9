/** Real child processes (tiny `node -e` scripts), short backoffs, bounded waits. */
import { afterEach, describe, expect, it } from 'vitest';

import { Supervisor, type ExitInfo, type ProcessSpec } from './supervisor.js';
import { alive } from '../../../test/support/wait.js';

const node = (name: string, script: string): ProcessSpec => ({ name, command: process.execPath, args: ['-e', script] });

const supervisors: Supervisor[] = [];

function supervise(specs: ProcessSpec[], stopTimeoutMs = 5000) {
  const output: string[] = [];
  const logs: string[] = [];
  const exits: ExitInfo[] = [];
  const supervisor = new Supervisor(specs, {
    write: (text) => output.push(text),
    log: (line) => logs.push(line),
    backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 10_000 },
    stopTimeoutMs,
  });
  supervisor.onExit((info) => exits.push(info));
  supervisors.push(supervisor);
  return { supervisor, output, logs, exits, text: () => output.join('') };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}


afterEach(async () => {
  for (const s of supervisors.splice(0)) s.kill();
});

describe('Supervisor', () => {
  it('prefixes each line of each process with its padded name', async () => {
    const { supervisor, text, logs } = supervise([
      node('a', "console.log('from a'); console.error('err a'); setInterval(() => {}, 1000)"),
      node('longer', "process.stdout.write('par'); setTimeout(() => console.log('tial'), 50); setInterval(() => {}, 1000)"),
    ]);
    supervisor.start();
    // The two processes write independently: wait for all of it, in whatever order it comes.
    await until(() => ['partial\n', 'from a\n', 'err a\n'].every((line) => text().includes(line)));
    expect(text()).toContain('a      | from a\n');
    expect(text()).toContain('a      | err a\n');
    expect(text()).toContain('longer | partial\n');
    expect(logs).toEqual([`started a pid=${supervisor.pid('a')}`, `started longer pid=${supervisor.pid('longer')}`]);
    await supervisor.stop();
  });

  it('restarts a process that exits, with doubling delays', async () => {
    const { supervisor, logs, exits } = supervise([node('flaky', 'process.exit(3)')]);
    supervisor.start();
    await until(() => exits.length >= 4);
    await supervisor.stop();
    const exitLines = logs.filter((l) => l.includes('exited'));
    expect(exitLines.slice(0, 4)).toEqual([0.1, 0.2, 0.4, 0.4].map((delay) => `flaky exited with code 3; restarting in ${delay}s`));
  });

  it('stop() sends SIGTERM, waits for the process, and does not restart it', async () => {
    const { supervisor, text, exits } = supervise([
      node('calm', "process.on('SIGTERM', () => { console.log('bye'); setTimeout(() => process.exit(0), 100); }); console.log('ready'); setInterval(() => {}, 1000)"),
    ]);
    supervisor.start();
    await until(() => text().includes('ready'));
    const pid = supervisor.pid('calm')!;
    expect(await supervisor.stop()).toEqual([]);
    expect(text()).toContain('calm | bye\n');
    expect(exits).toEqual([expect.objectContaining({ name: 'calm', code: 0, restarting: false })]);
    expect(alive(pid)).toBe(false);
    expect(supervisor.pid('calm')).toBeUndefined();
  });

  it('SIGKILLs a process that ignores SIGTERM after the stop timeout', async () => {
    const { supervisor, text, logs, exits } = supervise(
      [node('stubborn', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)")],
      300,
    );
    supervisor.start();
    await until(() => text().includes('ready'));
    const started = Date.now();
    const unclean = await supervisor.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(logs).toContain('stubborn did not stop within 0.3s; killing');
    expect(exits[0]).toMatchObject({ signal: 'SIGKILL', restarting: false, killed: true });
    // Counted as a failed stop, marked as the supervisor's own kill (announced above).
    expect(unclean).toEqual([expect.objectContaining({ name: 'stubborn', signal: 'SIGKILL', killed: true })]);
  });

  it('stop() resolves with the processes that crash while they stop; not one that exits 0', async () => {
    const { supervisor, text } = supervise([
      node('crashy', "process.on('SIGTERM', () => { console.error('draining went wrong'); process.exit(3); }); console.log('ready'); setInterval(() => {}, 1000)"),
      node('fine', "process.on('SIGTERM', () => process.exit(0)); console.log('ready'); setInterval(() => {}, 1000)"),
      node('aborts', "process.on('SIGTERM', () => process.abort()); console.log('ready'); setInterval(() => {}, 1000)"),
    ]);
    supervisor.start();
    await until(() => text().split('ready').length === 4);
    const unclean = await supervisor.stop();
    expect(unclean.map((e) => [e.name, e.code, e.signal, e.killed]).sort()).toEqual([
      ['aborts', null, 'SIGABRT', false],
      ['crashy', 3, null, false],
    ]);
    expect(text()).toContain('crashy | draining went wrong\n');
  });

  it('does not count an exit before the stop as a failed stop, even when its exit listener asks to stop', async () => {
    const { supervisor } = supervise([node('early', 'process.exit(1)')]);
    const unclean = new Promise<unknown>((resolve) => supervisor.onExit(() => resolve(supervisor.stop())));
    supervisor.start();
    expect(await unclean).toEqual([]);
  });

  it('kill() ends everything at once, even during a graceful stop', async () => {
    const { supervisor, text } = supervise([node('slow', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)")], 20_000);
    supervisor.start();
    await until(() => text().includes('ready'));
    const stopping = supervisor.stop();
    setTimeout(() => supervisor.kill(), 100);
    const started = Date.now();
    await stopping;
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('cancels a pending restart on stop()', async () => {
    const { supervisor, exits, logs } = supervise([node('once', 'process.exit(1)')]);
    supervisor.start();
    await until(() => exits.length === 1);
    await supervisor.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(logs.filter((l) => l.startsWith('started'))).toHaveLength(1);
  });

  it('reports a command that cannot be spawned and keeps retrying it with backoff', async () => {
    const { supervisor, logs } = supervise([{ name: 'ghost', command: '/nonexistent/binary', args: [] }]);
    supervisor.start();
    await until(() => logs.filter((l) => l.includes('could not be started')).length >= 2);
    await supervisor.stop();
    expect(logs[0]).toMatch(/^ghost could not be started: .*ENOENT/);
  });

  it('lets an exit listener stop everything before a restart is scheduled', async () => {
    const { supervisor, logs, exits } = supervise([node('bad', 'process.exit(2)'), node('good', 'setInterval(() => {}, 1000)')]);
    supervisor.onExit(() => void supervisor.stop());
    supervisor.start();
    await until(() => exits.length === 2);
    await supervisor.stop();
    expect(exits.map((e) => [e.name, e.code ?? e.signal])).toEqual([
      ['bad', 2],
      ['good', 'SIGTERM'],
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(logs.filter((l) => l.includes('restarting'))).toEqual([]);
    expect(supervisor.pid('good')).toBeUndefined();
  });

  it('refuses duplicate names', () => {
    expect(() => new Supervisor([node('x', ''), node('x', '')], { write: () => {}, log: () => {} })).toThrow(/unique/);
  });
});
