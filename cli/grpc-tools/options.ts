/**
 * Options shared by `mgrpc call` and `mgrpc describe`, checked once: --metadata pairs,
 * --deadline, and the request JSON from --data (inline, @file or - for stdin).
 */
import { readFile } from 'node:fs/promises';

import { UsageError } from '../handle-error.js';

/** Commander collector for a repeatable `--metadata key=value`. */
export function collectMetadata(value: string, previous: [string, string][] = []): [string, string][] {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new UsageError(`--metadata ${value}: write KEY=VALUE, e.g. --metadata x-request-id=abc`);
  return [...previous, [value.slice(0, equals).trim().toLowerCase(), value.slice(equals + 1)]];
}

export function parseDeadline(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value.trim()) || ms <= 0) throw new UsageError(`--deadline ${value}: expected a positive number of milliseconds, e.g. --deadline 5000`);
  return ms;
}

export function parseMaxMessages(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n <= 0) throw new UsageError(`--max-messages ${value}: expected a positive whole number, e.g. --max-messages 10`);
  return n;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The request JSON of `--data`: inline text, `@path` (a file) or `-` (stdin). */
export async function readRequestJson(data: string): Promise<unknown> {
  let text = data;
  let source = '--data';
  if (data === '-') {
    text = await readStdin();
    source = '--data - (stdin)';
  } else if (data.startsWith('@')) {
    source = `--data ${data}`;
    try {
      text = await readFile(data.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`${source}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source}: malformed JSON (${(err as Error).message})`);
  }
}
