import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { generateStubs } from './generate.js';

export interface CodegenResult {
  ok: boolean;
  message: string;
  /** Files that differ from what is on disk (check mode), or were written. */
  changed: string[];
}

async function existingFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await existingFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

/** Generates stubs and either writes them (replacing stale files) or checks them. */
export async function runCodegen(opts: { protoDir: string; outDir: string; check: boolean }): Promise<CodegenResult> {
  const started = performance.now();
  const { files, services } = await generateStubs(opts.protoDir);
  const onDisk = new Set(await existingFiles(opts.outDir));
  const changed: string[] = [];
  for (const [rel, content] of files) {
    const current = onDisk.has(rel) ? await readFile(path.join(opts.outDir, rel), 'utf8') : undefined;
    if (current !== content) changed.push(rel);
  }
  const extra = [...onDisk].filter((rel) => !files.has(rel)).sort();

  if (opts.check) {
    const stale = [...changed, ...extra.map((rel) => `${rel} (no longer generated)`)];
    return stale.length === 0
      ? { ok: true, message: `stubs in ${opts.outDir} are up to date (${files.size} files, ${services.length} services)`, changed: [] }
      : {
          ok: false,
          message: `stubs in ${opts.outDir} are stale: ${stale.join(', ')}\nrun \`mgrpc codegen\` to regenerate them`,
          changed: stale,
        };
  }

  for (const rel of extra) await rm(path.join(opts.outDir, rel));
  for (const rel of changed) {
    const target = path.join(opts.outDir, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, files.get(rel)!);
  }
  const ms = Math.round(performance.now() - started);
  return {
    ok: true,
    message: `generated ${opts.outDir} from ${opts.protoDir}: ${services.length} services, ${files.size} files (${changed.length + extra.length} changed) in ${ms} ms`,
    changed: [...changed, ...extra],
  };
}
