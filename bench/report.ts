/**
 * The bench's results as a JSON file for tools (bench/results/*.json, ignored by git but for
 * the runs docs/performance.md cites); the table for people is the CLI's (cli/bench/format-report.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from './paths.js';
import type { BenchResult } from './run.js';

/** Writes the JSON (to `file`, or bench/results/bench-<date>.json) and returns its path. */
export function saveResult(result: BenchResult, file?: string): string {
  const target = file ? path.resolve(file) : path.join(ROOT, 'bench/results', `bench-${result.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(result, null, 2)}\n`);
  return target;
}
