/**
 * `mgrpc startservice` as a user runs it: the built CLI scaffolds a service into a temp copy
 * of this repository, and there `mgrpc codegen`, `tsc` and the generated test pass with no
 * hand edits, and `mgrpc migrate` finds the service through the registry. Refusals (bad
 * names, existing folders, bad field specs) write nothing; --force overwrites. `startproject`
 * makes a project that builds, tests and migrates with the installed CLI, and that
 * `runserver --dev` serves.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { freePort } from '../support/ports.js';
import { CLI, ROOT, http } from '../support/system.js';

const run = promisify(execFile);

/** What the copy leaves out (relative to the repository root); node_modules becomes a symlink. */
const SKIP = new Set(['node_modules', 'dist', 'data', '.git', 'coverage', 'bench/results', 'services/stubs']);
const MODEL = 'Order:title:string,quantity:int,total:bigint,price:float,paid:bool,customer_id:uuid,due_at:date,note:text?,ref:uuid?';

let project: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the temp project; resolves with its exit code and output (never rejects on exit code). */
async function sh(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: project, timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

const mgrpc = (...args: string[]) => sh(process.execPath, [CLI, ...args]);

/** Every file under the project (minus node_modules) with its size and mtime: "nothing was written" is this unchanged. */
function snapshot(dir = project, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.name === 'node_modules') continue;
    if (entry.isDirectory()) out.push(...snapshot(dir, rel));
    else out.push(`${rel} ${statSync(path.join(dir, rel)).mtimeMs} ${statSync(path.join(dir, rel)).size}`);
  }
  return out.sort();
}

beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), 'mgrpc-scaffold-'));
  cpSync(ROOT, project, { recursive: true, filter: (src) => !SKIP.has(path.relative(ROOT, src).split(path.sep).join('/')) });
  symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(project, 'node_modules'), 'dir');
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('mgrpc startservice', () => {
  it('scaffolds a service that builds, passes its own test and is registered', async () => {
    const created = await mgrpc('startservice', 'orders', '--model', MODEL);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created service orders');
    expect(created.stdout).toContain('REST on base+10, gRPC on base+11');
    expect(readFileSync(path.join(project, 'services/registry.ts'), 'utf8')).toContain("orders: () => import('./orders/index.js'),");
    expect(readFileSync(path.join(project, 'protos/orders.proto'), 'utf8')).toContain('package orders;');

    const codegen = await mgrpc('codegen');
    expect(codegen.code, codegen.stderr).toBe(0);
    const tsc = await sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
    const test = await sh(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'services/orders/orders.test.ts']);
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/Tests\s+7 passed/);

    // The CLI finds it by name through the registry (runserver, grpcrunserver and up use the same lookup).
    const data = mkdtempSync(path.join(tmpdir(), 'mgrpc-scaffold-data-'));
    try {
      const migrate = await sh(process.execPath, ['--import', 'tsx', 'bin/mgrpc.ts', 'migrate', '--service', 'orders'], {
        MGRPC_DATA_DIR: data,
        DATABASE_URL: '',
        ORDERS_DATABASE_URL: '',
      });
      expect(migrate.code, migrate.stderr).toBe(0);
      expect(migrate.stdout).toMatch(/^orders: applied .*0001-initial/m);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }

    // The next service gets the next pair of ports.
    const second = await mgrpc('startservice', 'order-items');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('model OrderItem: title:string');
    expect(second.stdout).toContain('REST on base+12, gRPC on base+13');
    expect(readFileSync(path.join(project, 'services/registry.ts'), 'utf8')).toContain("'order-items': () => import('./order-items/index.js'),");
   }, 120_000);

  it.each([
    [['Orders'], /invalid service name 'Orders'/],
    [['1x'], /invalid service name '1x'/],
    [['framework'], /'framework' is reserved/],
    [['orders'], /services\/orders\/.* already exist.*--force/],
    [['books', '--model', 'Book:title:strin'], /bad type 'strin' for field 'title'.*use one of string, text, int, bigint, float, bool, uuid, date/],
    [['books', '--model', 'Book:title'], /bad field 'title'.*name:type/],
    [['books', '--model', 'Book'], /expected Name:field:type/],
    [['books', '--model', 'book:title:string'], /invalid model name 'book'/],
    [['books', '--model', 'Book:id:string'], /'id' is reserved/],
    [['books', '--model', 'Book:Title:string'], /bad field name 'Title'.*snake_case/],
    [['books', '--model', 'Book:pages:int?'], /only string, text, uuid, date, datetime fields can be optional/],
    [['books', '--model', 'Book:a:string,a:int'], /field 'a' appears twice/],
  ])('refuses startservice %j with a clear message and writes nothing', async (args, message) => {
    // services/orders exists: the first test created it (tests in a file run in order).
    const before = snapshot();
    const refused = await mgrpc('startservice', ...args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(message);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot()).toEqual(before);
  });

  it('overwrites with --force, keeping the service\'s ports and one registry entry', async () => {
    const file = path.join(project, 'services/orders/serializers.ts');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, '// edited by hand\n');
    const forced = await mgrpc('startservice', 'orders', '--model', MODEL, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('REST on base+10, gRPC on base+11');
    expect(readFileSync(file, 'utf8')).toBe(original);
    const registry = readFileSync(path.join(project, 'services/registry.ts'), 'utf8');
    expect(registry.match(/import\('\.\/orders\/index\.js'\)/g)).toHaveLength(1);
  });
});

describe('mgrpc startproject', () => {
  // Made and built by the first test, served by the second.
  let parent: string | undefined;
  let dir: string;

  afterAll(() => {
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('creates a project whose first service builds, passes its test and is found by the installed CLI', async () => {
    parent = mkdtempSync(path.join(tmpdir(), 'mgrpc-project-'));
    dir = path.join(parent, 'shop');
    const npmCache = path.join(parent, 'npm-cache');
    const made = await sh(process.execPath, [CLI, 'startproject', dir, '--service', 'orders', '--model', 'Order:title:string,count:bigint'], { npm_config_cache: npmCache });
    expect(made.code, made.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies.mgrpc).toBe(`file:${ROOT}`);
    // npm 11 runs these install scripts without "not yet covered by allowScripts".
    expect(pkg.allowScripts).toEqual({ ...JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).allowScripts, [`file:${ROOT}`]: true });
    // sqlite3's install (prebuild-install) finds mgrpc's built binary in npm's cache instead of compiling.
    const reused = /npm install will reuse mgrpc's built sqlite3 \((.+)\)/.exec(made.stdout)?.[1];
    expect(reused, made.stdout).toMatch(new RegExp(`^${npmCache}/_prebuilds/[0-9a-f]{6}-sqlite3-v[\\d.]+-napi-v\\d+-`));
    expect(statSync(reused!).size).toBeGreaterThan(100_000);
    expect(pkg.scripts).toMatchObject({ start: 'mgrpc up', build: 'mgrpc codegen && tsc -p tsconfig.json' });
    for (const file of ['.env.example', '.gitignore', '.npmrc', 'docker-compose.yml', 'README.md', 'protos/orders.proto', 'services/orders/orders.test.ts']) {
      expect(statSync(path.join(dir, file)).isFile(), file).toBe(true);
    }
    expect(readFileSync(path.join(dir, 'services/orders/index.ts'), 'utf8')).toContain("from 'mgrpc/framework'");

    // What `npm install` makes of it (deduplicated by install-links): mgrpc plus its dependencies.
    const modules = path.join(dir, 'node_modules');
    const ours = realpathSync(path.join(ROOT, 'node_modules'));
    mkdirSync(modules);
    for (const entry of readdirSync(ours)) symlinkSync(path.join(ours, entry), path.join(modules, entry));
    symlinkSync(ROOT, path.join(modules, 'mgrpc'), 'dir');
    const inProject = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      run(process.execPath, args, { cwd: dir, timeout: 60_000, env: { ...process.env, NO_COLOR: '1', DATABASE_URL: '', ORDERS_DATABASE_URL: '', ...env } });
    await inProject([CLI, 'codegen']);
    await inProject(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
    const test = await inProject(['node_modules/vitest/vitest.mjs', 'run']);
    expect(test.stdout).toMatch(/Tests\s+7 passed/);
    const migrate = await inProject([CLI, 'migrate'], { MGRPC_DATA_DIR: path.join(parent, 'data') });
    expect(migrate.stdout).toMatch(/^orders: applied .*0001-initial/m);

    const again = await sh(process.execPath, [CLI, 'startproject', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists and is not empty.*--force/);
  }, 120_000);

  it("runserver --dev serves the project's service, restarts when its build changes and stops on Ctrl-C", async () => {
    expect(existsSync(path.join(dir, 'dist/services/registry.js')), 'the first test builds the project').toBe(true);
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'runserver', `127.0.0.1:${port}`, '--service', 'orders', '--migrate', '--dev'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', MGRPC_DATA_DIR: path.join(parent!, 'dev-data'), DATABASE_URL: '', ORDERS_DATABASE_URL: '', LOG_FORMAT: 'pretty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const listening = () => output.split('\n').filter((line) => line.includes('orders REST listening on')).length;
    const api = `http://127.0.0.1:${port}/api/orders`;
    try {
      await eventually(async () => listening(), (n) => n >= 1, 30_000);
      expect(output).toContain("[dev] running orders REST from this project's dist/");
      const list = await http('GET', api);
      expect(list.status, output).toBe(200);
      // The project's service and the server share one framework: its errors keep their status.
      expect((await http('GET', `${api}/3f1c2a8e-1111-4111-8111-111111111111`)).status, output).toBe(404);

      // Its web admin, with no code of its own: the view set's resource, written through the form.
      const admin = `http://127.0.0.1:${port}/admin`;
      const form = await fetch(`${admin}/orders/new`);
      expect(form.status).toBe(200);
      const cookie = form.headers.get('set-cookie')!.split(';')[0]!;
      const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const post = (body: Record<string, string>) =>
        fetch(`${admin}/orders/new`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, origin: `http://127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: token, ...body }),
        });
      const invalid = await post({ title: 'From the admin', count: 'lots' });
      expect(invalid.status).toBe(400);
      expect(await invalid.text()).toMatch(/data-input="count">[\s\S]*?class="field-error"[^>]*>must be a whole number</);
      expect((await post({ title: 'From the admin', count: '9000000000' })).status).toBe(303);
      expect((await http('GET', api)).body).toContainEqual(expect.objectContaining({ title: 'From the admin', count: 9000000000 }));

      const built = path.join(dir, 'dist/services/orders/index.js');
      utimesSync(built, new Date(), new Date());
      await eventually(async () => listening(), (n) => n >= 2, 30_000);
      expect(output).toMatch(/\[dev\] dist\/services\/orders\/index\.js changed: restarting orders REST\n/);
      expect((await eventually(() => http('GET', api).catch(() => ({ status: 0 })), (r) => r.status === 200, 10_000)).status).toBe(200);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 120_000);

  it("call and describe use the project's protos; product, user and ui are not offered", async () => {
    expect(existsSync(path.join(dir, 'dist/services/stubs/descriptor.js')), 'the first test builds the project').toBe(true);
    const inProject = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<Result>((resolve) =>
        execFile(process.execPath, [CLI, ...args], { cwd: path.join(dir, 'services'), env: { ...process.env, NO_COLOR: '1', ORDERS_GRPC_SERVER: '', ...env } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
        ),
      );
    // From a subdirectory too: the project is the nearest directory with a package.json.
    const described = await inProject(['describe']);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^service orders\.OrderService \{$/m);
    expect(described.stdout).not.toMatch(/product\.ProductService|user\.UserService/);
    expect((await inProject(['describe', 'OrderService/List'])).stdout).toMatch(/rpc List\(/);

    // The method resolves against the project's protos; its server is the project's orders service.
    const port = await freePort();
    const called = await inProject(['call', 'OrderService/List', '--deadline', '5000'], { ORDERS_GRPC_SERVER: `127.0.0.1:${port}` });
    expect(called.code).toBe(1);
    expect(called.stderr).toBe(
      `ERROR: UNAVAILABLE: cannot reach the gRPC server at 127.0.0.1:${port} (connection refused; address from ORDERS_GRPC_SERVER) — is it running? pass --addr HOST:PORT, start everything with \`mgrpc up\`, or see \`mgrpc status\`\n`,
    );
    const unknown = await inProject(['call', 'ProductService/LikeProduct']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown method 'ProductService\/LikeProduct': methods: orders\.OrderService\/List/);

    const help = await inProject(['--help']);
    expect(help.stdout).toMatch(/^ {2}call /m);
    expect(help.stdout).not.toMatch(/^ {2}(product|user|ui) /m);
    for (const args of [['product', 'list'], ['user', 'create'], ['ui']]) {
      const refused = await inProject(args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toBe(
        `error: \`mgrpc ${args[0]}\` talks to mgrpc's demo services (dashboard and product), which project shop does not have: use \`mgrpc call\` and \`mgrpc describe\` for this project's services, or its REST API\n`,
      );
    }
  }, 120_000);
});
