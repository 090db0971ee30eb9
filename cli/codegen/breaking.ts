/**
 * `mgrpc codegen --breaking`: the wire-breaking changes of protos/ since a git ref, found by
 * buf (`buf breaking`), which knows the rules better than a list written here would.
 *
 * Rules: buf's WIRE category (deleted fields whose number is not reserved, renumbered and
 * retyped fields, changed request/response types and streaming, changed file packages) plus the
 * deletions that break a gRPC caller without touching a message's bytes: a package, a service
 * or a method that is gone (its path answers UNIMPLEMENTED). Renaming a field is not breaking on
 * the wire; adding anything is not breaking.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { UsageError } from '../handle-error.js';
import { listProtoFiles, parseProtos } from './generate.js';
import { MissingToolError, packageDir } from './optional-tool.js';

const run = promisify(execFile);

export const BUF_INSTALL = 'npm i -D @bufbuild/buf';
export const BREAKING_RULES = ['WIRE', 'PACKAGE_NO_DELETE', 'PACKAGE_SERVICE_NO_DELETE', 'RPC_NO_DELETE'] as const;
/** buf's exit status when it found breaking changes (anything else non-zero is a failure to run). */
const BUF_FOUND_BREAKING = 100;

export interface BreakingResult {
  ok: boolean;
  /** One line per breaking change: `protos/file.proto:line: what changed (RULE)`. */
  changes: string[];
  message: string;
}

interface BufAnnotation {
  path?: string;
  start_line?: number;
  type: string;
  message: string;
}

function findBuf(from?: string): string {
  const dir = packageDir('@bufbuild/buf', from);
  if (!dir) throw new MissingToolError('--breaking needs buf (the @bufbuild/buf package), which is not installed', `install with ${BUF_INSTALL}`);
  return path.join(dir, 'bin/buf');
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Writes the .proto files under `rel` as they are at `ref` into `into`; returns how many. */
async function materialize(repo: string, ref: string, rel: string, into: string): Promise<number> {
  const prefix = rel ? `${rel}/` : '';
  const listed = await git(repo, ['ls-tree', '-r', '-z', '--name-only', ref, '--', prefix || '.']);
  const files = listed.split('\0').filter((file) => file.endsWith('.proto'));
  for (const file of files) {
    const target = path.join(into, file.slice(prefix.length));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, await git(repo, ['show', `${ref}:${file}`]));
  }
  return files.length;
}

/**
 * Compares the protos under `protoDir` (as they are on disk) with the same directory at `against`.
 * @example await checkBreaking({ protoDir: 'protos', against: 'main' })
 */
export async function checkBreaking(opts: { protoDir: string; against?: string; from?: string }): Promise<BreakingResult> {
  const ref = opts.against ?? 'HEAD';
  const buf = findBuf(opts.from);
  // Our parser first: a proto that does not parse is `protos/file.proto:line: reason`, as in codegen.
  parseProtos(opts.protoDir, await listProtoFiles(opts.protoDir));
  const protoDir = await realpath(opts.protoDir);
  let repo: string;
  try {
    repo = (await git(protoDir, ['rev-parse', '--show-toplevel'])).trim();
  } catch {
    throw new UsageError(`${opts.protoDir} is not in a git repository: --breaking compares with a git ref (--against <ref>)`);
  }
  try {
    await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new UsageError(`no commit '${ref}' in ${repo}: pass a branch, tag or commit with --against <ref>`);
  }
  const rel = path.relative(await realpath(repo), protoDir).split(path.sep).join('/');
  const shown = opts.protoDir.replace(/[\/]+$/, '');

  const scratch = await mkdtemp(path.join(tmpdir(), 'mgrpc-breaking-'));
  try {
    const count = await materialize(repo, ref, rel, scratch);
    if (count === 0) {
      return { ok: true, changes: [], message: `no .proto files under ${rel || '.'}/ at ${ref}: nothing to break (every proto is new)` };
    }
    const config = JSON.stringify({ version: 'v2', breaking: { use: BREAKING_RULES } });
    const args = [buf, 'breaking', '.', '--against', scratch, '--config', config, '--against-config', config, '--error-format', 'json'];
    try {
      await run(process.execPath, args, { cwd: protoDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      return { ok: true, changes: [], message: `no wire-breaking changes in ${shown}/ since ${ref}` };
    } catch (err) {
      const failed = err as { code?: number; stdout?: string; stderr?: string };
      if (failed.code !== BUF_FOUND_BREAKING) {
        throw new Error(`buf breaking could not compare ${shown}/ with ${ref}: ${(failed.stderr || failed.stdout || String(err)).trim()}`);
      }
      const annotations = (failed.stdout ?? '')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as BufAnnotation);
      const where = (a: BufAnnotation) => (a.path ? `${shown}/${a.path}:${a.start_line}` : `${shown}/`);
      // buf reports a proto that does not compile the same way as a break.
      const broken = annotations.filter((a) => a.type === 'COMPILE');
      if (broken.length > 0) throw new Error(`${broken.map((a) => `${where(a)}: ${a.message}`).join('; ')} (fix the proto, then check again)`);
      const changes = annotations.map((a) => `${where(a)}: ${a.message} (${a.type})`);
      return {
        ok: false,
        changes,
        message: `${changes.length} wire-breaking change${changes.length === 1 ? '' : 's'} in ${shown}/ since ${ref}:\n${changes.map((c) => `  ${c}`).join('\n')}\npeers built on ${ref} would misread or fail these calls: reserve deleted field numbers, add new fields and methods instead of changing old ones`,
      };
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
