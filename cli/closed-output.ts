/**
 * When whoever reads our output goes away — `mgrpc product list --watch | head -3`, or a
 * `mgrpc up | tee log` whose `tee` the same Ctrl-C ended — Node reports the next write as an
 * EPIPE error on the stream, and an error nobody listens for crashes the process with a stack
 * trace. `up` then died in the middle of its stop: its state file stayed, and its processes
 * were left to stop by themselves (orphan-guard.ts).
 *
 * Here such writes are dropped. A command whose output is the point (a listing, a call, a
 * watch) then ends quietly with the code it has so far, as a Unix tool ends on SIGPIPE; every
 * other one carries on with its work (`up` stops its processes and cleans up, a server keeps
 * serving and drains as usual, a migration or a bench run finishes and cleans up after itself).
 */
const CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/** The commands that end when their output is gone: what they print is all they do (after any write they make). */
export const ENDS_WITHOUT_OUTPUT: ReadonlySet<string> = new Set(['product', 'user', 'call', 'describe', 'status', 'showmigrations', 'outbox']);

export function tolerateClosedOutput(end: boolean, streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!CLOSED.has(err.code ?? '')) throw err;
      if (end) process.exit(process.exitCode ?? 0);
    });
  }
}
