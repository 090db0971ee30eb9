/**
 * The bench's results as a table for people (also the table in docs/performance.md); the
 * JSON for tools is bench/report.ts's.
 */
import { phaseLabel, type BenchResult } from '../../bench/run.js';
import { formatTable } from '../client/format.js';

export function formatReport(result: BenchResult): string {
  const ratioOf = (p: BenchResult['phases'][number]) => result.ratios.find((r) => r.path === p.path && r.concurrency === p.concurrency && r.impl === p.impl);
  const rows = result.phases.map((p) => {
    const ratio = p.impl === 'bare' ? undefined : ratioOf(p);
    return [
      phaseLabel(p).replace(/ c\d+$/, ''),
      String(p.concurrency),
      p.throughput.toFixed(0),
      ratio ? `${ratio.ratio.toFixed(2)}x` : '',
      p.latencyMs.p50.toFixed(2),
      p.latencyMs.p99.toFixed(2),
      p.cpuMsPerRequest === null ? '-' : p.cpuMsPerRequest.toFixed(2),
      // Near 100%: the one load process, not the server, set the pace.
      p.loadWallMs > 0 ? `${Math.round((100 * p.loadCpuMs) / p.loadWallMs)}%` : '-',
      String(p.totalErrors),
      p.syncLagMs === undefined ? '' : `${p.syncLagMs} ms`,
      p.check.ok ? 'ok' : 'FAILED',
    ];
  });
  const lines = [
    formatTable(['path', 'c', 'req/s', 'vs bare', 'p50 ms', 'p99 ms', 'cpu ms/req', 'load cpu', 'errors', 'synced after', 'check'], rows).trimEnd(),
    '',
    `cold start (spawn -> health; ours with their code cache): ${Object.entries(result.coldStartMs).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}`,
    `first start after a build (no code cache yet): ${Object.entries(result.firstStartMs ?? {}).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}`,
    `peak RSS (VmHWM): ${Object.entries(result.peakRssMb).map(([name, mb]) => `${name} ${mb} MB`).join(', ')}`,
    `codegen (protos/, whole CLI process): ${result.codegen.wallMs} ms${result.codegen.reportedMs === null ? '' : ` (${result.codegen.reportedMs} ms inside)`}`,
    '',
    formatTable(
      ['target', 'wanted', 'measured', 'bounds in this run', ''],
      result.targets.map((t) => [
        t.name,
        t.target,
        t.interval ? `${t.actual} (90% ${t.interval[0].toFixed(2)}-${t.interval[1].toFixed(2)}x)` : t.sliceRange ? `${t.actual} (slices ${t.sliceRange[0].toFixed(2)}-${t.sliceRange[1].toFixed(2)}x)` : t.actual,
        (t.bounds ?? []).map((b) => `${b.label} ${b.ratio.toFixed(2)}${b.unit === 'ms' ? ' ms' : 'x'}`).join(', '),
        t.met ? 'met' : t.outOfReach ? 'MISSED (out of reach)' : 'MISSED',
      ]),
    ).trimEnd(),
    '',
    `${result.machine.cpus} x ${result.machine.cpuModel}, ${result.machine.memoryGb} GB, node ${result.machine.node}; ` +
      `${result.database?.dialect === 'postgres' ? `PostgreSQL at ${result.database.server}` : 'SQLite'}; ` +
      `${result.settings.durationMs / 1000} s measured per run (${result.settings.peers ? 'framework, bare, bounds and peers' : 'framework, bare and bounds'} in interleaved slices, each side's first after ${result.settings.warmupMs / 1000} s warm-up); ${(result.totalMs / 1000).toFixed(0)} s in all`,
  ];
  if (!result.ok) {
    lines.push('', 'FAILED:', ...[...result.correctness.failures, ...result.errors].map((f) => `  ${f}`));
  }
  return `${lines.join('\n')}\n`;
}
