/**
 * Turns a child's output chunks into whole lines, each prefixed with the child's name
 * (`dashboard_grpc | …`), as docker-compose shows its services. A partial line waits for its
 * newline (or the end of the stream), so lines from different children never interleave.
 *
 * @example
 *   const out = new LinePrefixer(formatPrefix('product', 14), (text) => process.stdout.write(text));
 *   child.stdout.on('data', (chunk) => out.push(chunk));
 *   child.stdout.on('end', () => out.end());
 */
import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is written in pieces rather than buffered without bound. */
export const MAX_LINE_CHARS = 64 * 1024;

// Compose's palette: distinct, readable on dark and light terminals.
const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** `name` padded to `width` and a bar; coloured (ANSI) when `colorIndex` is given. */
export function formatPrefix(name: string, width: number, colorIndex?: number): string {
  const text = `${name.padEnd(width)} | `;
  if (colorIndex === undefined) return text;
  return `\x1b[${COLORS[colorIndex % COLORS.length]}m${text}\x1b[0m`;
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

export class LinePrefixer {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
    private readonly maxLineChars = MAX_LINE_CHARS,
  ) {}

  push(chunk: Buffer | string): void {
    // The decoder holds back a multi-byte character split across chunks.
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop()!;
    while (this.pending.length >= this.maxLineChars) {
      lines.push(this.pending.slice(0, this.maxLineChars));
      this.pending = this.pending.slice(this.maxLineChars);
    }
    if (lines.length > 0) this.write(lines.map((line) => this.format(line)).join(''));
  }

  /** Writes what is left of an unterminated last line. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') this.write(this.format(this.pending));
    this.pending = '';
  }

  private format(line: string): string {
    return `${this.prefix}${line.endsWith('\r') ? line.slice(0, -1) : line}\n`;
  }
}
