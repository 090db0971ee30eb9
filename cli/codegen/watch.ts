/**
 * `mgrpc codegen --watch`: regenerate the stubs whenever a .proto under the proto directory
 * changes. Changes are debounced (an editor's save is several events), runs never overlap
 * (a change during a run triggers one more run after it), and a proto that does not parse is
 * reported as one line while the watcher waits for the next change: the stubs on disk stay
 * as the last good run left them.
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';

import { runCodegen, type CodegenOptions } from './write.js';

export interface WatchOptions extends Omit<CodegenOptions, 'check'> {
  /** Quiet period after the last change before regenerating (default 150 ms). */
  debounceMs?: number;
  /** One line per run (the result, or the error). */
  report(line: string, ok: boolean): void;
}

export interface CodegenWatcher {
  /** Resolves after the run in progress, if any, has finished. */
  close(): Promise<void>;
}

const stamp = () => new Date().toTimeString().slice(0, 8);

/** Runs codegen once, then again after every change of a .proto under `protoDir`. */
export function watchCodegen(options: WatchOptions): CodegenWatcher {
  if (!existsSync(options.protoDir) || !statSync(options.protoDir).isDirectory()) {
    throw new Error(`no proto directory at ${options.protoDir}: pass the directory holding the .proto files with --protos <dir>`);
  }
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const runOnce = async () => {
    try {
      const { protoDir, outDir, backend, packageName } = options;
      const result = await runCodegen({ protoDir, outDir, backend, packageName, check: false });
      options.report(`[${stamp()}] ${result.message.split('\n').join(' ')}`, result.ok);
    } catch (err) {
      options.report(`[${stamp()}] error: ${err instanceof Error ? err.message : String(err)} (waiting for the next change)`, false);
    }
  };
  const run = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        run();
      }
    });
  };

  const watcher: FSWatcher = watch(options.protoDir, { recursive: true }, (_event, file) => {
    // A rename of a directory reports no file name; anything else must be a .proto.
    if (file && !String(file).endsWith('.proto')) return;
    clearTimeout(timer);
    timer = setTimeout(run, options.debounceMs ?? 150);
  });
  watcher.on('error', (err) => options.report(`[${stamp()}] error: watching ${options.protoDir} failed: ${err.message}`, false));
  run();

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
      await running;
    },
  };
}
