/**
 * `mgrpc bench`: the performance harness (bench/run.ts). Starts the real servers and bare
 * baselines on loopback, loads every path at each concurrency, checks no like was lost,
 * prints a table (or `--json`) and saves the JSON under bench/results/. Exits 1 when a
 * check failed or any request failed; the speed targets are reported, never enforced.
 */
import { Command, InvalidArgumentError } from 'commander';

import { DEFAULT_POSTGRES_SERVER, parseBenchDatabase, type BenchDatabase } from '../../bench/databases.js';
import { LOAD_KINDS as PATHS, type LoadKind } from '../../bench/kinds.js';

interface BenchCliOptions {
  quick?: boolean;
  duration?: number;
  warmup?: number;
  concurrency?: number[];
  paths?: LoadKind[];
  json?: boolean;
  out?: string;
  profile?: string;
  database?: BenchDatabase;
  watchFanout?: boolean;
  peers?: boolean;
}

/** `7s`, `500ms`, `1.5s` or a bare number of seconds, in ms. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration like 7s, 1.5s or 500ms');
  const ms = match[2] === 'ms' ? Number(match[1]) : Number(match[1]) * 1000;
  if (ms < 100 || ms > 600_000) throw new InvalidArgumentError('expected a duration between 100ms and 600s');
  return Math.round(ms);
}

/** `1,16,64` -> [1, 16, 64]. */
export function parseConcurrency(value: string): number[] {
  const levels = value.split(',').map((part) => part.trim());
  if (levels.some((level) => !/^\d+$/.test(level) || Number(level) < 1 || Number(level) > 1024)) {
    throw new InvalidArgumentError('expected a comma-separated list of whole numbers from 1 to 1024, like 1,16,64');
  }
  return [...new Set(levels.map(Number))];
}

/** `rest-like` or `grpc-like,rest-like` -> the paths to run. */
export function parsePaths(value: string): LoadKind[] {
  const names = value.split(',').map((part) => part.trim());
  const unknown = names.find((name) => !(PATHS as readonly string[]).includes(name));
  if (unknown !== undefined) throw new InvalidArgumentError(`unknown path '${unknown}' (expected a comma-separated list of ${PATHS.join(', ')})`);
  return [...new Set(names as LoadKind[])];
}

/** `sqlite`, `postgres` or a postgres:// server URL. */
export function parseDatabase(value: string): BenchDatabase {
  const choice = parseBenchDatabase(value);
  if (!choice) throw new InvalidArgumentError(`expected sqlite, postgres (${DEFAULT_POSTGRES_SERVER}) or a postgres://user@host:port/ server URL`);
  return choice;
}

export const DEFAULTS = { durationMs: 7000, warmupMs: 1000, concurrency: [1, 16, 64] };
export const QUICK = { durationMs: 1000, warmupMs: 300, concurrency: [1, 16] };

export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark the servers against bare grpc-js/express baselines on loopback (needs `npm run build`)')
    .option('--quick', `a short run (${QUICK.durationMs / 1000} s per path, concurrency ${QUICK.concurrency.join(',')}) that only proves the harness works`)
    .option('--duration <time>', `measured time per path and concurrency (default ${DEFAULTS.durationMs / 1000}s)`, parseDuration)
    .option('--warmup <time>', `unmeasured load before each measured run (default ${DEFAULTS.warmupMs / 1000}s)`, parseDuration)
    .option('--concurrency <list>', `requests in flight (default ${DEFAULTS.concurrency.join(',')})`, parseConcurrency)
    .option('--paths <list>', `which paths to run (default all: ${PATHS.join(',')})`, parsePaths)
    .option('--database <db>', `sqlite (default: files in a temp dir), postgres (fresh databases on ${DEFAULT_POSTGRES_SERVER}, dropped after) or a postgres:// server URL`, parseDatabase)
    .option('--peers', 'also run LikeProduct on NestJS (gRPC transport) and connect-node, and the REST like on NestJS (an HTTP app calling its gRPC peer), installed into bench/peers/ on first use (needs the npm registry once)')
    .option('--json', 'print the results as JSON instead of the table')
    .option('--out <file>', 'where to save the JSON results (default bench/results/bench-<date>.json)')
    .option('--profile <dir>', 'write a V8 CPU profile of each server process into this directory (node --cpu-prof)')
    .option('--watch-fanout', 'instead: WatchProducts fan-out, 100 and 1,000 watchers (--quick: 10 and 100) following likes, against a bare grpc-js stream (SQLite)')
    .action(async (opts: BenchCliOptions) => {
      const path = await import('node:path');
      if (opts.watchFanout) {
        const { runWatchFanout, formatFanout } = await import('../../bench/watch/fanout.js');
        const { writeFileSync, mkdirSync } = await import('node:fs');
        const { ROOT } = await import('../../bench/paths.js');
        const result = await runWatchFanout({
          watchers: opts.quick ? [10, 100] : [100, 1000],
          changes: opts.quick ? 20 : 100,
          ratePerSecond: 20,
          command: `mgrpc ${process.argv.slice(2).join(' ')}`,
          progress: (line) => void process.stderr.write(`${line}\n`),
          profileDir: opts.profile ? path.resolve(opts.profile) : undefined,
        });
        const file = opts.out ? path.resolve(opts.out) : path.join(ROOT, 'bench/results', `watch-fanout-${result.date.replace(/[:.]/g, '-')}.json`);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatFanout(result));
        process.stderr.write(`results saved to ${path.relative(process.cwd(), file) || file}\n`);
        if (result.rows.some((row) => row.delivered !== row.expected)) process.exitCode = 1;
        return;
      }
      const { runBench } = await import('../../bench/run.js');
      const { saveResult } = await import('../../bench/report.js');
      const { formatReport } = await import('../bench/format-report.js');
      const { createProgress } = await import('../../bench/progress.js');
      const base = opts.quick ? QUICK : DEFAULTS;
      const progress = createProgress(process.stderr);
      let result;
      try {
        result = await runBench({
          durationMs: opts.duration ?? base.durationMs,
          warmupMs: opts.warmup ?? base.warmupMs,
          concurrency: opts.concurrency ?? base.concurrency,
          paths: opts.paths,
          quick: Boolean(opts.quick),
          database: opts.database,
          peers: Boolean(opts.peers),
          profileDir: opts.profile ? path.resolve(opts.profile) : undefined,
          command: `mgrpc ${process.argv.slice(2).join(' ')}`,
          progress,
        });
      } finally {
        progress.done();
      }
      const file = saveResult(result, opts.out);
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
      process.stderr.write(`results saved to ${path.relative(process.cwd(), file) || file}\n`);
      if (!result.ok) process.exitCode = 1;
    });
}
