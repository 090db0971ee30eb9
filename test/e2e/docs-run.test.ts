/**
 * The docs' examples run as written: every ```sh block of the README and docs/getting-started.md
 * is executed, line by line, against a freshly started system on free ports, so a doc that
 * breaks fails the build.
 *
 * What the harness changes, and only that: `npx mgrpc` runs this checkout's built CLI, the
 * tutorial's ports (10006-10009) become the system's, and curl fails on an HTTP error
 * (`--fail-with-body`). Ids are taken from what the commands print: a comment after a command
 * that names a placeholder (`# created user <USER_ID>`) is the shape of its output, and
 * `<USER_ID>` is then replaced by the id it printed in every later line.
 * A block that is illustrative, or that the harness cannot run (it installs, starts the system
 * the test has started, or changes this checkout), says so in the markdown on the line before
 * it: `<!-- docs-run: not run, because … -->`. Every other sh block runs.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, ROOT, startSystem, type RunningSystem } from '../support/system.js';

const PAGES = ['README.md', 'docs/getting-started.md'];
const NOT_RUN = /^<!-- docs-run: not run, (.+) -->$/;

interface Block {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  body: string[];
  notRun?: string;
}

/** The ```sh blocks of a markdown page, each with the not-run note of the line before it. */
export function shellBlocks(page: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    if (fence[1] === 'sh') blocks.push({ page, line: i + 1, body: lines.slice(i + 1, end), notRun: NOT_RUN.exec(lines[i - 1] ?? '')?.[1] });
    i = end;
  }
  return blocks;
}

/** Commands of a block: continued lines joined, comments and blank lines left out; each with its trailing comment. */
function commands(body: string[]): { command: string; comment?: string }[] {
  const joined = body.join('\n').replace(/\\\n\s*/g, '');
  return joined
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => {
      const comment = /\s{2,}#\s(.*)$/.exec(line);
      return comment ? { command: line.slice(0, comment.index).trim(), comment: comment[1] } : { command: line.trim() };
    });
}

const PLACEHOLDER = /<([A-Z][A-Z_]*)>/g;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The values of the placeholders a comment names, read from the output it describes. */
function bind(comment: string, output: string, known: Map<string, string>): Map<string, string> {
  const names: string[] = [];
  const pattern = comment
    .split(PLACEHOLDER)
    .map((part, i) => {
      if (i % 2 === 1) {
        if (known.has(part)) return escape(known.get(part)!);
        names.push(part);
        return '([0-9A-Za-z_-]+)';
      }
      return part
        .split('…')
        .map((piece) => piece.split(/\s+/).map(escape).join('\\s*'))
        .join('[\\s\\S]*?');
    })
    .join('');
  const match = new RegExp(pattern).exec(output);
  if (!match) throw new Error(`the output does not look like the doc's comment "${comment}":\n${output}`);
  return new Map(names.map((name, i) => [name, match[i + 1]!]));
}

function sh(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', command], { cwd: ROOT, env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.close();
});

describe("the docs' shell examples", () => {
  const blocks = PAGES.flatMap((page) => shellBlocks(page, readFileSync(path.join(ROOT, page), 'utf8')));

  it('every sh block runs, or says in the markdown why it is not run', () => {
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks.filter((b) => b.notRun)) expect(block.notRun!.length, `${block.page}:${block.line}`).toBeGreaterThan(10);
    expect(blocks.filter((b) => !b.notRun).map((b) => `${b.page}:${b.line}`)).not.toEqual([]);
  });

  for (const block of blocks.filter((b) => !b.notRun)) {
    it(`${block.page}:${block.line} runs as written`, async () => {
      const ports: Record<string, number> = { 10006: system.ports.product_grpc, 10007: system.ports.product, 10008: system.ports.dashboard, 10009: system.ports.dashboard_grpc };
      const env = {
        ...process.env,
        ...system.env,
        NO_COLOR: '1',
        LOG_LEVEL: 'warn',
        MGRPC_DASHBOARD_URL: system.dashboardUrl,
        MGRPC_PRODUCT_URL: system.productUrl,
        DASHBOARD_GRPC_SERVER: system.dashboardGrpc,
        PRODUCT_GRPC_SERVER: system.productGrpc,
        MGRPC_DATA_DIR: system.dataDir,
      };
      const known = new Map<string, string>();
      for (const { command, comment } of commands(block.body)) {
        const written = command.replace(PLACEHOLDER, (whole, name: string) => {
          if (!known.has(name)) throw new Error(`${block.page}:${block.line}: '${command}' uses ${whole} before any command printed it`);
          return known.get(name)!;
        });
        const runnable = written
          .replace(/\bnpx mgrpc\b/g, `"${process.execPath}" "${CLI}"`)
          .replace(/\b(?:localhost|127\.0\.0\.1):(1000[6-9])\b/g, (_whole, port: string) => `127.0.0.1:${ports[port]}`)
          .replace(/^curl /, 'curl -sS --fail-with-body ');
        const { code, output } = await sh(runnable, env);
        expect(code, `${block.page}:${block.line}: ${command}\n${output}`).toBe(0);
        if (comment && [...comment.matchAll(PLACEHOLDER)].some(([, name]) => !known.has(name!))) {
          for (const [name, value] of bind(comment, output, known)) known.set(name, value);
        }
      }
    });
  }
});
