/**
 * The bench's progress on stderr: at a terminal one live line (a bar, the phase, the time
 * left) with finished phases printed above it; elsewhere (CI, a pipe) one plain line per
 * event, so logs stay readable.
 */
export interface Progress {
  /** The live line: the overall fraction done, what runs, and about how long is left (unknown while setting up: not shown). */
  update(fraction: number, label: string, leftMs?: number): void;
  /** A finished line (kept above the bar). */
  line(text: string): void;
  done(): void;
}

const WIDTH = 28;

function seconds(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 1000))} s`;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, enabled = true): Progress {
  if (!enabled) return { update: () => undefined, line: () => undefined, done: () => undefined };
  if (!stream.isTTY) {
    let lastLabel = '';
    return {
      update(_fraction, label, leftMs) {
        if (label === lastLabel) return;
        lastLabel = label;
        stream.write(`bench: ${label}${leftMs === undefined ? '' : ` (about ${seconds(leftMs)} left)`}\n`);
      },
      line: (text) => stream.write(`bench: ${text}\n`),
      done: () => undefined,
    };
  }
  let live = '';
  const clear = () => stream.write('\r\x1b[2K');
  return {
    update(fraction, label, leftMs) {
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH);
      live = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${label}${leftMs === undefined ? '' : `  ~${seconds(leftMs)} left`}`;
      clear();
      stream.write(live.slice(0, (stream.columns || 120) - 1));
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
      if (live) stream.write(live.slice(0, (stream.columns || 120) - 1));
    },
    done() {
      clear();
      live = '';
    },
  };
}
