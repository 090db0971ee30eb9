/**
 * Where a running `mgrpc up` is, for every other command: `up` writes `.mgrpc/state.json` in
 * the project root once everything accepts connections and removes it when it stops; the
 * other commands find it from the working directory, as compose finds its project. The
 * project root is the nearest directory (the working directory or above) holding a
 * package.json — mgrpc's own checkout or a `startproject` project — else the working
 * directory itself. A file whose `up` is no longer running is ignored, with a note.
 * Light on purpose (node:fs and node:path only): client commands read it on every run.
 *
 * @example
 *   const { state } = readUpState();
 *   state?.services.dashboard?.rest[0]; // 'http://127.0.0.1:41008'
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const STATE_FILE = path.join('.mgrpc', 'state.json');

/** One server process of `up`, replicas included. */
export interface UpProcess {
  name: string;
  service: string;
  side: 'rest' | 'grpc';
  /** host:port a client connects to. */
  address: string;
}

export interface UpState {
  version: 1;
  /** The `mgrpc up` process; when it is gone, the file is stale. */
  pid: number;
  startedAt: string;
  /** The address the processes listen on (--host) and the one clients connect to. */
  host: string;
  reachable: string;
  basePort: number;
  replicas: number;
  /** The SQLite directory; absent with --database. */
  dataDir?: string;
  /** Each service's database URL, password redacted. */
  databases: Record<string, string>;
  processes: UpProcess[];
  /** Per service: its REST base URLs and its gRPC target (host:port, or an ipv4: list of replicas). */
  services: Record<string, { rest: string[]; grpc: string }>;
}

/** The nearest directory from `cwd` up that holds a package.json, else `cwd`. */
export function projectRoot(cwd = process.cwd()): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}

export const statePath = (root = projectRoot()) => path.join(root, STATE_FILE);

/** Writes atomically, so a command never reads half a file. */
export function writeUpState(state: UpState, file = statePath()): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, file);
}

/** Removes the file if this process (pid) wrote it: a second `up` of the project keeps its own. */
export function removeUpState(pid = process.pid, file = statePath()): void {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as UpState).pid === pid) rmSync(file, { force: true });
  } catch {
    // Gone or unreadable already: nothing of ours to remove.
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ReadState {
  file: string;
  state?: UpState;
  /** Why a file that is there is not used. */
  note?: string;
}

/** The state of the `up` running for the project of `cwd`, if any. */
export function readUpState(cwd = process.cwd()): ReadState {
  const file = statePath(projectRoot(cwd));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { file };
  }
  let state: UpState;
  try {
    state = JSON.parse(text) as UpState;
    if (state.version !== 1 || typeof state.pid !== 'number' || typeof state.services !== 'object') throw new Error('unexpected shape');
  } catch (err) {
    return { file, note: `ignoring ${file}: not a state file of this mgrpc (${(err as Error).message}); delete it` };
  }
  if (!running(state.pid)) {
    return { file, note: `ignoring ${file}: the \`mgrpc up\` that wrote it (pid ${state.pid}, started ${localTime(state.startedAt)}) is not running` };
  }
  return { file, state };
}

/** 2026-12-06 19:50:01, in local time. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
