/**
 * Django's model commands on a project made by `mgrpc startproject`, with the built CLI as a
 * user runs it: a field and an index added to the scaffolded model; `makemigrations --check`
 * fails, `makemigrations` writes 0002 and registers it, `migrate` applies it to a real SQLite
 * file (PRAGMA table_info / index_list), `migrate --to 1` rolls it back and forward again,
 * `showmigrations` tells which are applied, `shell` evaluates piped lines with the models in
 * scope. The same generated migration is applied and rolled back on the real PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { CLI, ROOT } from '../support/system.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let parent: string;
let dir: string;
let data: string;

function run(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { cwd: dir, timeout: 120_000, env: { ...process.env, NO_COLOR: '1', MGRPC_DATA_DIR: data, DATABASE_URL: '', ORDERS_DATABASE_URL: '', ...options.env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
    );
    child.stdin!.end(options.input ?? '');
  });
}

const mgrpc = (...args: string[]) => run([CLI, ...args]);
// Incremental: the second and third builds re-check only what changed (the model, then the migrations).
const build = async () => {
  const built = await run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', path.join(parent, 'tsbuildinfo')]);
  expect(built.code, built.stdout + built.stderr).toBe(0);
};

/** Column name -> [type, notnull, default] of a table in the service's SQLite file, and its indexes (not the primary key's). */
async function sqliteSchema(table: string): Promise<{ columns: Record<string, [string, number, string | null]>; indexes: string[] }> {
  const { openDatabase, sqliteUrl } = await import('../../services/framework/index.js');
  const db = await openDatabase(sqliteUrl(path.join(data, 'orders.sqlite3')), { poolMax: 1, statementTimeoutMs: 0, connectRetryMs: 0, access: 'read' });
  try {
    const info = (await db.query(`PRAGMA table_info(${table})`))[0] as { name: string; type: string; notnull: number; dflt_value: string | null }[];
    const indexes = (await db.query(`PRAGMA index_list(${table})`))[0] as { name: string; origin: string }[];
    return {
      columns: Object.fromEntries(info.map((c) => [c.name, [c.type, c.notnull, c.dflt_value]])),
      indexes: indexes.filter((i) => i.origin !== 'pk').map((i) => i.name).sort(),
    };
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  parent = mkdtempSync(path.join(tmpdir(), 'mgrpc-migrations-'));
  dir = path.join(parent, 'shop');
  data = path.join(parent, 'data');
  const made = await new Promise<Result>((resolve) =>
    execFile(process.execPath, [CLI, 'startproject', dir, '--service', 'orders', '--model', 'Order:title:string'], { env: { ...process.env, npm_config_cache: path.join(parent, 'npm-cache') } }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  expect(made.code, made.stderr).toBe(0);
  // What `npm install` makes of it: mgrpc plus its dependencies (as in test/e2e/scaffold.test.ts).
  const modules = path.join(dir, 'node_modules');
  const ours = realpathSync(path.join(ROOT, 'node_modules'));
  mkdirSync(modules);
  for (const entry of readdirSync(ours)) symlinkSync(path.join(ours, entry), path.join(modules, entry));
  symlinkSync(ROOT, path.join(modules, 'mgrpc'), 'dir');
  expect((await mgrpc('codegen')).code).toBe(0);
  await build();
});

afterAll(() => {
  if (parent) rmSync(parent, { recursive: true, force: true });
});

const MODEL = 'services/orders/models/order.ts';
const MIGRATIONS = 'services/orders/migrations';

describe('makemigrations, migrate --to, showmigrations and shell in a project', () => {
  it('a fresh project has nothing to make; a model changed but not built is refused', async () => {
    const check = await mgrpc('makemigrations', '--check');
    expect(check).toMatchObject({ code: 0, stdout: 'orders: no changes detected\n' });
    const applied = await mgrpc('migrate');
    expect(applied.stdout).toMatch(/^orders: applied mgrpc-0001-outbox, mgrpc-0002-changes, 0001-initial /);

    const source = readFileSync(path.join(dir, MODEL), 'utf8');
    const edited = source
      .replace('  declare createdAt:', '  declare price: CreationOptional<number>;\n  declare createdAt:')
      .replace('      createdAt: DataTypes.DATE,', '      price: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },\n      createdAt: DataTypes.DATE,')
      .replace("underscored: true }", "underscored: true, indexes: [{ fields: ['price'] }] }");
    expect(edited.match(/price/g)).toHaveLength(3);
    writeFileSync(path.join(dir, MODEL), edited);
    const stale = await mgrpc('makemigrations', '--check');
    expect(stale).toMatchObject({
      code: 2,
      stderr: "error: services/orders/models/order.ts changed since the last build: run `npm run build` first (the CLI runs this project's services from dist/)\n",
    });
    await build();
  });

  it('--check exits 1 naming the differences and writes nothing; then makemigrations writes and registers 0002', async () => {
    const before = readdirSync(path.join(dir, MIGRATIONS)).sort();
    const check = await mgrpc('makemigrations', '--check');
    expect(check).toMatchObject({
      code: 1,
      stdout: 'orders: models and migrations differ (run `mgrpc makemigrations --service orders`):\n  + column orders.price\n  + index orders (price)\n',
      stderr: '',
    });
    expect(readdirSync(path.join(dir, MIGRATIONS)).sort()).toEqual(before);

    const dry = await mgrpc('makemigrations', '--dry-run');
    expect(dry.stdout).toBe('orders: would write services/orders/migrations/0002-add-order-price-and-more.ts\n  + column orders.price\n  + index orders (price)\n');
    expect(readdirSync(path.join(dir, MIGRATIONS)).sort()).toEqual(before);

    const made = await mgrpc('makemigrations', '--service', 'orders');
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toBe('orders: wrote services/orders/migrations/0002-add-order-price-and-more.ts\n  + column orders.price\n  + index orders (price)\n');
    const file = readFileSync(path.join(dir, MIGRATIONS, '0002-add-order-price-and-more.ts'), 'utf8');
    expect(file).toContain("import type { Migration } from 'mgrpc/framework';");
    expect(file).toContain("await queryInterface.addColumn('orders', 'price', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 }, { transaction });");
    expect(file).toContain("await queryInterface.removeColumn('orders', 'price', { transaction });");
    expect(file).toMatch(/renameColumn/);
    const index = readFileSync(path.join(dir, MIGRATIONS, 'index.ts'), 'utf8');
    expect(index).toContain("import { addOrderPriceAndMore } from './0002-add-order-price-and-more.js';");
    expect(index).toContain('export const migrations: Migration[] = [initial, addOrderPriceAndMore];');

    // The file needs no hand edit: it builds, and then models and migrations agree.
    await build();
    expect(await mgrpc('makemigrations', '--check')).toMatchObject({ code: 0, stdout: 'orders: no changes detected\n' });
    expect((await mgrpc('makemigrations')).stdout).toBe('orders: no changes detected\n');
  });

  it('migrate applies it; --to 1 rolls it back through down; migrate goes forward again; showmigrations follows', async () => {
    const pending = await mgrpc('showmigrations');
    const url = `sqlite:${path.join(data, 'orders.sqlite3')}`;
    expect(pending.stdout).toBe(`orders (${url})\n [X] mgrpc-0001-outbox\n [X] mgrpc-0002-changes\n [X] 0001-initial\n [ ] 0002-add-order-price-and-more\n`);

    expect((await mgrpc('migrate')).stdout).toBe(`orders: applied 0002-add-order-price-and-more (${url})\n`);
    let schema = await sqliteSchema('orders');
    expect(schema.columns.price).toEqual(['INTEGER', 1, '0']);
    expect(schema.indexes).toEqual(['orders_price']);
    expect((await mgrpc('showmigrations', '--service', 'orders')).stdout).toBe(`orders (${url})\n [X] mgrpc-0001-outbox\n [X] mgrpc-0002-changes\n [X] 0001-initial\n [X] 0002-add-order-price-and-more\n`);

    expect((await mgrpc('migrate', '--service', 'orders', '--to', '1')).stdout).toBe(`orders: reverted 0002-add-order-price-and-more (${url})\n`);
    schema = await sqliteSchema('orders');
    expect(Object.keys(schema.columns)).toEqual(['id', 'title', 'created_at', 'updated_at']);
    expect(schema.indexes).toEqual([]);
    expect((await mgrpc('showmigrations')).stdout).toBe(pending.stdout);
    expect((await mgrpc('migrate', '--service', 'orders', '--to', '0001-initial')).stdout).toBe(`orders: already at 0001-initial (${url})\n`);

    expect((await mgrpc('migrate', '--service', 'orders', '--to', '2')).stdout).toBe(`orders: applied 0002-add-order-price-and-more (${url})\n`);
    expect((await sqliteSchema('orders')).columns.price).toEqual(['INTEGER', 1, '0']);
  });

  it('refuses --to without --service, an unknown migration and an unknown service, with exit 2 and no stack', async () => {
    expect(await mgrpc('migrate', '--to', '1')).toMatchObject({ code: 2, stderr: 'error: --to moves one service: add --service NAME\n' });
    expect(await mgrpc('migrate', '--service', 'orders', '--to', '7')).toMatchObject({
      code: 2,
      stderr: 'error: --to 7: service orders has no such migration; it has 0001-initial, 0002-add-order-price-and-more (or 0 for none)\n',
    });
    for (const command of ['makemigrations', 'showmigrations', 'shell']) {
      expect(await mgrpc(command, '--service', 'books')).toMatchObject({ code: 2, stderr: "error: unknown service 'books': choose one of orders\n" });
    }
    expect(await mgrpc('makemigrations', '--name', 'Add Price')).toMatchObject({ code: 2, stderr: "error: --name 'Add Price': use lower-case words joined by -, e.g. add-product-price\n" });
  });

  it('shell evaluates piped lines in order, with top-level await and the models in scope, and exits', async () => {
    const lines = ["await Order.create({ title: 'pen', price: 3 }).then((order) => order.title)", 'await Order.count()', "(await db.query('SELECT SUM(price) AS total FROM orders'))[0][0].total"];
    const shell = await run([CLI, 'shell', '--service', 'orders'], { input: `${lines.join('\n')}\n` });
    expect(shell).toMatchObject({ code: 0, stdout: "'pen'\n1\n3\n", stderr: '' });
    const failing = await run([CLI, 'shell', '--service', 'orders'], { input: 'await Order.count()\nnoSuchThing\n' });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toBe('1\nUncaught ReferenceError: noSuchThing is not defined\n');
    // .exit ends the shell: the lines after it are not run.
    const exited = await run([CLI, 'shell', '--service', 'orders'], { input: "await Order.count()\n.exit\nawait Order.create({ title: 'never' })\n" });
    expect(exited).toMatchObject({ code: 0, stdout: '1\n' });
    expect((await run([CLI, 'shell', '--service', 'orders'], { input: 'await Order.count()\n' })).stdout).toBe('1\n');
  });

  describe('on PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    async function pgSchema(): Promise<{ columns: string[]; price?: { data_type: string; is_nullable: string; column_default: string }; indexes: string[] }> {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const columns = await client.query("SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position");
        const indexes = await client.query("SELECT indexname FROM pg_indexes WHERE tablename = 'orders' AND indexname NOT LIKE '%_pkey' ORDER BY indexname");
        return {
          columns: columns.rows.map((r) => r.column_name),
          price: columns.rows.find((r) => r.column_name === 'price'),
          indexes: indexes.rows.map((r) => r.indexname),
        };
      } finally {
        await client.end();
      }
    }

    it('the same generated migration applies, rolls back and applies again', async () => {
      const env = { ORDERS_DATABASE_URL: database.url };
      const on = (...args: string[]) => run([CLI, ...args], { env });
      const url = database.url;
      expect((await on('migrate', '--service', 'orders', '--to', '1')).stdout).toBe(`orders: applied mgrpc-0001-outbox, mgrpc-0002-changes, 0001-initial (${url})\n`);
      expect(await pgSchema()).toEqual({ columns: ['id', 'title', 'created_at', 'updated_at'], price: undefined, indexes: [] });
      expect((await on('migrate')).stdout).toBe(`orders: applied 0002-add-order-price-and-more (${url})\n`);
      expect(await pgSchema()).toEqual({
        columns: ['id', 'title', 'created_at', 'updated_at', 'price'],
        price: { column_name: 'price', data_type: 'integer', is_nullable: 'NO', column_default: '0' },
        indexes: ['orders_price'],
      });
      expect((await on('showmigrations')).stdout).toBe(`orders (${url})\n [X] mgrpc-0001-outbox\n [X] mgrpc-0002-changes\n [X] 0001-initial\n [X] 0002-add-order-price-and-more\n`);
      expect((await on('migrate', '--service', 'orders', '--to', '0')).stdout).toBe(`orders: reverted 0002-add-order-price-and-more, 0001-initial (${url})\n`);
      expect((await pgSchema()).columns).toEqual([]);
      expect((await on('migrate')).stdout).toBe(`orders: applied 0001-initial, 0002-add-order-price-and-more (${url})\n`);
      expect((await pgSchema()).indexes).toEqual(['orders_price']);
      expect(existsSync(path.join(data, 'orders.sqlite3'))).toBe(true);
    });
  });
});
