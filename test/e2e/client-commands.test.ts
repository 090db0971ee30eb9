/**
 * The client commands (`mgrpc product …`, `mgrpc user create`) as a user runs them: the
 * built CLI against the four real servers. Output without a terminal (pipes), usage errors,
 * a service that is down, and the interactive forms in a real pseudo-terminal (tmux).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../support/ports.js';
import { http, runCli, startSystem, type RunningSystem } from '../support/system.js';
import { hasTmux, Terminal } from '../support/terminal.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

let sys: RunningSystem;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sys = await startSystem();
  env = { MGRPC_DASHBOARD_URL: sys.dashboardUrl, MGRPC_PRODUCT_URL: sys.productUrl };
});

afterAll(async () => {
  await sys?.close();
});

const mgrpc = (...args: string[]) => runCli(args, env);

function ok(result: ReturnType<typeof runCli>) {
  expect(result.stderr, result.stdout).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** One line on stderr, no stack frames, the given exit code. */
function failsWith(result: ReturnType<typeof runCli>, code: number, message: RegExp) {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^error: [^\n]*\n$/);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

async function createProduct(title: string) {
  const res = await http('POST', `${sys.dashboardUrl}/api/products`, { title });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; title: string };
}

describe('mgrpc user / product, scripted (no terminal)', () => {
  it('user create prints the new id; --json prints the server document', () => {
    expect(ok(mgrpc('user', 'create'))).toMatch(new RegExp(`^created user ${UUID.source}\n$`));
    const created = JSON.parse(ok(mgrpc('user', 'create', '--json')));
    expect(created).toEqual({ id: expect.stringMatching(UUID), created_at: expect.any(String) });
  });

  it('create, list (both sources), get, like, like again, update, delete', async () => {
    const human = ok(mgrpc('product', 'create', '--title', 'Fountain pen', '--image', 'https://img.example/fp.png'));
    const [id] = human.match(UUID)!;
    expect(human).toBe(`created 'Fountain pen' (${id})\n`);

    const viaJson = JSON.parse(ok(mgrpc('product', 'create', '--title', 'Ink bottle', '--json')));
    expect(viaJson).toMatchObject({ id: expect.stringMatching(UUID), title: 'Ink bottle', likes: 0 });

    const table = ok(mgrpc('product', 'list'));
    expect(table.split('\n')[0]).toMatch(/^id\s+title\s+likes\s+image$/);
    expect(table).toMatch(new RegExp(`${id}\\s+Fountain pen\\s+0\\s+https://img.example/fp.png`));
    expect(table).toContain('Ink bottle');

    const copies = ok(mgrpc('product', 'list', '--source', 'product'));
    expect(copies.split('\n')[0]).toMatch(/^id\s+title\s+image$/);
    expect(copies).toMatch(new RegExp(`${id}\\s+Fountain pen\\s+https://img.example/fp.png`));
    expect(JSON.parse(ok(mgrpc('product', 'list', '--json'))).map((p: { id: string }) => p.id)).toContain(id);
    const searched = ok(mgrpc('product', 'list', '--search', 'INK', '--ordering', '-title', '--source', 'product'));
    expect(searched).toContain('Ink bottle');
    expect(searched).not.toContain('Fountain pen');
    failsWith(mgrpc('product', 'list', '--ordering', 'price'), 1, /ordering: 'price' is not an ordering field \(expected id, title, image, likes/);

    const shown = ok(mgrpc('product', 'get', id));
    expect(shown).toMatch(new RegExp(`^id: +${id}\ntitle: +Fountain pen\nlikes: +0\nimage: +https://img.example/fp.png\n`));

    const user = JSON.parse(ok(mgrpc('user', 'create', '--json'))).id as string;
    expect(ok(mgrpc('product', 'like', id, '--user', user))).toBe(`liked 'Fountain pen' (${id}) as user ${user}: 1 like\n`);
    failsWith(mgrpc('product', 'like', id, '--user', user), 1, /already liked/);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body.likes).toBe(1);

    const other = JSON.parse(ok(mgrpc('user', 'create', '--json'))).id as string;
    const liked = JSON.parse(ok(mgrpc('product', 'like', id, '--user', other, '--json')));
    expect(liked).toEqual({ message: 'Success', product_id: id, user_id: other, likes: 2 });

    // Without --user the product service picks a user at random: once every user has liked the
    // product (a handful here), the pick is one who already did, and the error says how to choose.
    const second = JSON.parse(ok(mgrpc('product', 'create', '--title', 'Liked by all', '--json'))).id as string;
    let refused: ReturnType<typeof mgrpc> | undefined;
    for (let attempt = 0; attempt < 100 && !refused; attempt++) {
      const run = mgrpc('product', 'like', second);
      if (run.code !== 0) refused = run;
    }
    expect(refused?.stderr).toMatch(/^error: user [0-9a-f-]+ already liked product [0-9a-f-]+ \(the product service picked that user at random; choose one with --user <uuid>\)\n$/);
    failsWith(mgrpc('product', 'like', id, '--user', user), 1, /already liked product [0-9a-f-]+\n$/);

    expect(ok(mgrpc('product', 'update', id, '--title', 'Pen', '--no-image'))).toBe(`updated 'Pen' (${id}) — no image\n`);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body).toMatchObject({ title: 'Pen', image: null, likes: 2 });
    const patched = JSON.parse(ok(mgrpc('product', 'update', id, '--image', 'https://img.example/p.png', '--json')));
    expect(patched).toMatchObject({ id, title: 'Pen', image: 'https://img.example/p.png' });

    expect(ok(mgrpc('product', 'delete', id))).toBe(`deleted product ${id}\n`);
    expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).status).toBe(404);
    failsWith(mgrpc('product', 'get', id), 1, new RegExp(`^error: product ${id} not found\n$`));
  });

  it.each([
    [['product', 'create'], /^error: missing --title: mgrpc product create --title <title>/],
    [['product', 'get'], /^error: missing product ID: mgrpc product get <id>/],
    [['product', 'like'], /^error: missing product ID: mgrpc product like <id>/],
    [['product', 'update'], /^error: missing product ID: mgrpc product update <id>/],
    [['product', 'delete'], /^error: missing product ID: mgrpc product delete <id>/],
  ])('%j without a terminal: a usage error naming what is missing (exit 2)', (args, message) => {
    failsWith(mgrpc(...args), 2, message);
  });

  it('update with nothing to change is a usage error', async () => {
    const { id } = await createProduct('Unchanged');
    failsWith(mgrpc('product', 'update', id), 2, /^error: nothing to update: pass --title <title>, --image <url> or --no-image\n$/);
  });

  it('bad flag values are usage errors (exit 2) before any request', () => {
    for (const args of [
      ['product', 'list', '--dashboard', 'not-a-url'],
      ['product', 'list', '--source', 'elsewhere'],
      ['product', 'get', 'not-an-id'],
      ['product', 'like', '11111111-1111-4111-8111-111111111111', '--user', 'bob'],
      ['product', 'create', '--title', '   '],
    ]) {
      const result = mgrpc(...args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^error: .*invalid/);
    }
    expect(runCli(['product', 'list'], { ...env, MGRPC_PRODUCT_URL: 'ftp://nope' }).code).toBe(2);
  });

  it('a service that is down: one line naming its URL and where it came from, exit 1, no stack trace', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    for (const args of [
      ['product', 'list', '--dashboard', nowhere],
      ['user', 'create', '--dashboard', nowhere],
    ]) {
      failsWith(
        mgrpc(...args),
        1,
        new RegExp(`^error: cannot reach the dashboard at ${nowhere} \\(connection refused; address from --dashboard\\) — is it running\\? start everything with \`mgrpc up\`, or see \`mgrpc status\`\n$`),
      );
    }
    failsWith(mgrpc('product', 'list', '--source', 'product', '--product', nowhere), 1, new RegExp(`cannot reach the product at ${nowhere} `));
    failsWith(mgrpc('product', 'list', '--source', 'product', '--dashboard', nowhere, '--product', nowhere), 1, /address from --product\)/);
  });
});

describe.skipIf(!hasTmux)('interactive forms in a terminal (tmux; skipped when tmux is not installed)', () => {
  it('product create without --title asks for it', async () => {
    const term = new Terminal(['product', 'create', '--dashboard', sys.dashboardUrl, '--product', sys.productUrl]);
    try {
      await term.waitFor(/\? Title:/);
      term.type('Typed in a terminal');
      await term.waitFor(/Title: Typed in a terminal/);
      term.press('Enter');
      const screen = await term.waitFor(/EXIT=\d/);
      expect(screen).toContain('✔ Title: Typed in a terminal');
      const [, id] = screen.match(new RegExp(`created 'Typed in a terminal' \\((${UUID.source})\\)`))!;
      expect(screen).toContain('EXIT=0');
      const res = await http('GET', `${sys.dashboardUrl}/api/products/${id}`);
      expect(res.body).toMatchObject({ id, title: 'Typed in a terminal' });
    } finally {
      term.close();
    }
  });

  it('product like without an id lets you pick the product with the arrow keys', async () => {
    const target = await createProduct('Picked with arrows');
    const products = (await http('GET', `${sys.dashboardUrl}/api/products`)).body as { id: string }[];
    const index = products.findIndex((p) => p.id === target.id);
    const term = new Terminal(['product', 'like', '--dashboard', sys.dashboardUrl, '--product', sys.productUrl]);
    try {
      await term.waitFor(/Which product to like\?/);
      for (let i = 0; i < index; i++) term.press('Down');
      await term.waitFor(/❯ Picked with arrows/);
      term.press('Enter');
      const screen = await term.waitFor(/EXIT=\d/);
      expect(screen).toMatch(new RegExp(`liked 'Picked with arrows' \\(${target.id}\\) as user ${UUID.source}: 1 like`));
      expect(screen).toContain('EXIT=0');
      expect((await http('GET', `${sys.dashboardUrl}/api/products/${target.id}`)).body.likes).toBe(1);
    } finally {
      term.close();
    }
  });

  it('product update with nothing to change asks for a new title (Enter right after typing)', async () => {
    const { id } = await createProduct('Old name');
    const term = new Terminal(['product', 'update', id, '--dashboard', sys.dashboardUrl, '--product', sys.productUrl]);
    try {
      await term.waitFor(/\? New title:/);
      term.type('New name');
      term.press('Enter');
      const screen = await term.waitFor(/EXIT=\d/);
      expect(screen).toContain(`updated 'New name' (${id}) — no image`);
      expect((await http('GET', `${sys.dashboardUrl}/api/products/${id}`)).body.title).toBe('New name');
    } finally {
      term.close();
    }
  });

  it('Esc leaves the form: nothing is sent', async () => {
    const term = new Terminal(['product', 'get', '--dashboard', sys.dashboardUrl, '--product', sys.productUrl]);
    try {
      await term.waitFor(/\? Product id:/);
      term.press('Escape');
      const screen = await term.waitFor(/EXIT=\d/);
      expect(screen).toContain('error: cancelled: nothing was sent');
      expect(screen).toContain('EXIT=1');
    } finally {
      term.close();
    }
  });
});
