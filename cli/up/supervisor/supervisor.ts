/**
 * Runs a fixed set of processes the way docker-compose's `restart: always` does: each one's
 * output prefixed with its name, a process that exits restarted with backoff, and on `stop()`
 * every process sent SIGTERM, waited for (bounded), then SIGKILLed. `stop()` resolves with the
 * exits that were not clean (a crash while draining, a kill), for the caller to report: only it
 * knows whether they were stops of a running system or of one still failing to start.
 *
 * Children run in their own process group, so a terminal's Ctrl-C reaches only the
 * supervisor, which stops them once and in order. Their stdin is a pipe held by the
 * supervisor alone, and MGRPC_SUPERVISED=1 is set: with cli/orphan-guard.ts preloaded, a child
 * stops itself when the supervisor dies without stopping it.
 *
 * @example
 *   const supervisor = new Supervisor([{ name: 'web', command: process.execPath, args: ['server.js'] }], {
 *     write: (text) => process.stdout.write(text),
 *     log: (line) => logger.info(line),
 *   });
 *   supervisor.start();
 *   await supervisor.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';

import { Backoff, formatDelay, type BackoffOptions } from './backoff.js';
import { formatPrefix, LinePrefixer } from './line-prefix.js';

export interface ProcessSpec {
  /** Shown in front of each of its output lines and in the supervisor's own log lines. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ExitInfo {
  name: string;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long this run lasted. */
  uptimeMs: number;
  /** Whether it is to be restarted: false once stop() or kill() was called (an exit listener may still call them). */
  restarting: boolean;
  /** SIGKILLed by the supervisor (the stop timeout, kill()), which said so when it sent it. */
  killed: boolean;
}

/** How a process ended, as every line about it says it: `signal SIGKILL`, `code 3`. */
export function exitCause(info: Pick<ExitInfo, 'code' | 'signal'>): string {
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

export interface SupervisorOptions {
  /** Where the children's prefixed output lines go. */
  write: (text: string) => void;
  /** The supervisor's own events: started, exited and restarting, stopping. */
  log: (line: string) => void;
  color?: boolean;
  backoff?: BackoffOptions;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

interface Slot {
  spec: ProcessSpec;
  prefix: string;
  backoff: Backoff;
  child?: ChildProcess;
  startedAt: number;
  /** Resolves when the current run has ended (output flushed). */
  ended: Promise<void>;
  restartTimer?: NodeJS.Timeout;
  /** Sent SIGKILL by us (the stop timeout, kill()): its exit says so (ExitInfo.killed). */
  killed?: boolean;
}

export class Supervisor {
  private readonly slots: Slot[];
  private readonly exitListeners = new Set<(info: ExitInfo) => void>();
  private stopping = false;
  private stopped?: Promise<ExitInfo[]>;
  /** Exits after stop() or kill() other than a clean one (code 0, or the SIGTERM/SIGINT we sent). */
  private readonly unclean: ExitInfo[] = [];

  constructor(
    specs: ProcessSpec[],
    private readonly options: SupervisorOptions,
  ) {
    const names = new Set(specs.map((s) => s.name));
    if (names.size !== specs.length) throw new Error(`process names must be unique, got ${specs.map((s) => s.name).join(', ')}`);
    const width = Math.max(...specs.map((s) => s.name.length));
    this.slots = specs.map((spec, i) => ({
      spec,
      prefix: formatPrefix(spec.name, width, options.color ? i : undefined),
      backoff: new Backoff(options.backoff),
      startedAt: 0,
      ended: Promise.resolve(),
    }));
  }

  /** Starts every process. */
  start(): void {
    if (this.stopping) throw new Error('this supervisor was stopped; create a new one');
    for (const slot of this.slots) this.spawn(slot);
  }

  /**
   * Called whenever a process exits, before any restart is scheduled: calling stop() here
   * prevents it. Returns an unsubscribe function.
   */
  onExit(listener: (info: ExitInfo) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** The pid of a running process, or undefined while it is down. */
  pid(name: string): number | undefined {
    return this.slots.find((s) => s.spec.name === name)?.child?.pid;
  }

  /**
   * SIGTERM to all, then SIGKILL to whoever is still running after stopTimeoutMs. Idempotent.
   * Resolves with the processes that did not stop cleanly (none when all exited 0).
   */
  stop(): Promise<ExitInfo[]> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  /** SIGKILL to every running process now (a second Ctrl-C); stop() then resolves promptly. */
  kill(): void {
    this.halt();
    for (const slot of this.slots) {
      if (!slot.child) continue;
      slot.killed = true;
      slot.child.kill('SIGKILL');
    }
  }

  private halt(): void {
    this.stopping = true;
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
  }

  private async stopAll(): Promise<ExitInfo[]> {
    this.halt();
    const running = this.slots.filter((s) => s.child);
    for (const slot of running) slot.child!.kill('SIGTERM');
    const ended = Promise.all(running.map((s) => s.ended));
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.options.stopTimeoutMs ?? 10_000;
    const timedOut = await Promise.race([
      ended.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      const late = this.slots.filter((s) => s.child);
      this.options.log(`${late.map((s) => s.spec.name).join(', ')} did not stop within ${formatDelay(timeoutMs)}; killing`);
      for (const slot of late) {
        slot.killed = true;
        slot.child!.kill('SIGKILL');
      }
      await ended;
    }
    return [...this.unclean];
  }

  private spawn(slot: Slot): void {
    const { spec } = slot;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...(spec.env ?? process.env), MGRPC_SUPERVISED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    slot.child = child;
    slot.startedAt = Date.now();
    // Nothing is ever written to stdin; a child that exits must not fail the supervisor with EPIPE.
    child.stdin!.on('error', () => undefined);
    const out = new LinePrefixer(slot.prefix, this.options.write);
    const err = new LinePrefixer(slot.prefix, this.options.write);
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));

    let resolveEnded!: () => void;
    slot.ended = new Promise((resolve) => (resolveEnded = resolve));
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      out.end();
      err.end();
      if (slot.child === child) slot.child = undefined;
      // Asked to stop before it exited (an exit listener may call stop() for this very exit).
      const wasStopping = this.stopping;
      const info: ExitInfo = { name: spec.name, pid: child.pid, code, signal, uptimeMs: Date.now() - slot.startedAt, restarting: !this.stopping, killed: slot.killed === true };
      // Listeners first: one that calls stop() prevents the restart (and its log line).
      for (const listener of this.exitListeners) listener(info);
      if (!this.stopping) this.scheduleRestart(slot, info);
      else if (wasStopping && code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') this.unclean.push(info);
      slot.killed = false;
      resolveEnded();
    };
    // 'close' comes after the output streams ended, so the last lines are written before the exit line.
    child.once('close', finish);
    child.once('error', (error) => {
      // A process that could not be spawned never emits 'close'.
      if (child.pid === undefined) {
        this.options.log(`${spec.name} could not be started: ${error.message}`);
        finish(null, null);
      }
    });
    if (child.pid !== undefined) this.options.log(`started ${spec.name} pid=${child.pid}`);
  }

  private scheduleRestart(slot: Slot, info: ExitInfo): void {
    const delay = slot.backoff.next(info.uptimeMs);
    this.options.log(`${info.name} exited with ${exitCause(info)}; restarting in ${formatDelay(delay)}`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.stopping) this.spawn(slot);
    }, delay);
  }
}
