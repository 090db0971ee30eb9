/**
 * `mgrpc ui` as a user runs it: the built CLI in a real 80x24 pseudo-terminal (tmux) against
 * the four real servers. Keys are sent and the screen is read back; the API is asked too,
 * so what the console shows is checked against what happened, and the dashboard's metrics,
 * so that changes made elsewhere are seen to arrive over the stream, not by reading the list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { http, runCli, startSystem, type RunningSystem } from '../support/system.js';
import { hasTmux, Terminal } from '../support/terminal.js';

const CHANGE_LOG_KEEP = 10;
/** Writers prune the change log once per 64 changes at most (services/framework/watch/change-log.ts): this many writes make one prune. */
const RENAMES = 64;
let sys: RunningSystem;
let env: Record<string, string>;

beforeAll(async () => {
  // A short change log, so that changes made while the console is away can outrun its resume point.
  sys = await startSystem({ env: { MGRPC_CHANGE_LOG_KEEP: String(CHANGE_LOG_KEEP) } });
  // The products stream is the dashboard's gRPC server, found the way the services find it.
  env = { MGRPC_DASHBOARD_URL: sys.dashboardUrl, MGRPC_PRODUCT_URL: sys.productUrl, DASHBOARD_GRPC_SERVER: sys.dashboardGrpc };
});

afterAll(async () => {
  await sys?.close();
});

const ALL_UP = /dashboard ● up\s+dashboard_grpc ● up\s+product ● up\s+product_grpc ● up/;
const FOOTER = '↑/↓ select  c create  e edit  d delete  l like  r refresh  q quit';

/** How many times the dashboard answered GET /api/products (its REST metrics): the console's polls would count here. */
async function productListReads(): Promise<number> {
  const text = await (await fetch(`${sys.dashboardUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('http_requests_total{') && l.includes('method="GET"') && l.includes('route="/api/products"') && l.includes('status="200"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** A like by another client: the product service's endpoint, which has the dashboard's gRPC server count it. */
async function likeElsewhere(productId: string, user: string): Promise<{ status: number }> {
  return http('POST', `${sys.productUrl}/api/products/${productId}/like`, { user_id: user });
}

async function products() {
  return (await http('GET', `${sys.dashboardUrl}/api/products`)).body as { id: string; title: string; image: string | null; likes: number }[];
}

/** The screen keeps its shape: 24 lines, none wider than 80, header on top, keys at the bottom. */
function expectLayout(screen: string) {
  const lines = screen.replace(/\n$/, '').split('\n');
  expect(lines.length, screen).toBeLessThanOrEqual(24);
  expect(lines[0], screen).toMatch(/^mgrpc ui {2}dashboard http:\/\/127\.0\.0\.1:\d+ · product http:\/\/127\.0\.0\.1:\d+$/);
  for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
}

describe('mgrpc ui', () => {
  it('without a terminal: a usage error saying it needs one (exit 2)', () => {
    const result = runCli(['ui'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: mgrpc ui needs a terminal (stdin and stdout must be a TTY); in scripts use `mgrpc product list` and the other product commands\n',
    );
  });

  it.skipIf(!hasTmux)('create, like, edit, delete and scroll with the keys; the table follows the stream (no list reads), resumes after dashboard_grpc is killed; health follows servers going down; q quits', async () => {
    // The only user, so the one the product service picks at random.
    const onlyUser = (await http('POST', `${sys.dashboardUrl}/api/user`)).body.id as string;
    const term = new Terminal(['ui'], { columns: 80, rows: 24, env });
    try {
      let screen = await term.waitFor(/no products yet: press c to create one/);
      screen = await term.waitFor(ALL_UP);
      expectLayout(screen);
      expect(screen).toContain(FOOTER);

      // Create: title, then image.
      term.press('c');
      await term.waitFor(/\? New product · title:/);
      term.type('UI pen');
      await term.waitFor(/title: UI pen/);
      term.press('Enter');
      await term.waitFor(/\? New product · image URL \(blank for none\):/);
      term.type('https://img.example/ui.png');
      await term.waitFor(/image URL \(blank for none\): https:\/\/img\.example\/ui\.png/);
      term.press('Enter');
      // The row comes by the stream, the status line with the create's answer: either may be drawn first.
      await term.waitFor(/❯ UI pen +0 +synced +[0-9a-f]{8}\n/);
      screen = await term.waitFor(/created 'UI pen'/);
      expect(screen).toMatch(/❯ UI pen +0 +synced +[0-9a-f]{8}\n/);
      expect(screen).toMatch(/^image https:\/\/img\.example\/ui\.png$/m);
      const [created] = await products();
      expect(created).toMatchObject({ title: 'UI pen', image: 'https://img.example/ui.png', likes: 0 });
      expect(screen).toContain(`${created.id.slice(0, 8)}\n`);
      expect(screen).toMatch(new RegExp(`^id ${created.id}$`, 'm'));

      // Like as a random user (the product service picks one).
      term.press('l');
      await term.waitFor(/\? Like 'UI pen' as:/);
      term.type('r');
      screen = await term.waitFor(new RegExp(`liked 'UI pen' as user ${onlyUser.slice(0, 8)}: counted: 1 like$`, 'm'));
      screen = await term.waitFor(/❯ UI pen +1 +synced/);
      expect((await products())[0].likes).toBe(1);

      // Like as a pasted user id, then again: the server's refusal lands in the status line.
      const user = (await http('POST', `${sys.dashboardUrl}/api/user`)).body.id as string;
      term.press('l');
      await term.waitFor(/\? Like 'UI pen' as:/);
      term.type(`${user}\n`);
      await term.waitFor(new RegExp(`liked 'UI pen' as user ${user.slice(0, 8)}: counted: 2 likes`));
      term.press('l');
      await term.waitFor(/\? Like 'UI pen' as:/);
      term.type(`${user}\n`);
      screen = await term.waitFor(/^error: user [0-9a-f-]+ already liked product/m);
      expectLayout(screen);
      await term.waitFor(/❯ UI pen +2 +synced/);

      // Edit: the form starts from the current values.
      term.press('e');
      await term.waitFor(/\? Edit · title: UI pen/);
      // Three Backspaces in one read, as a fast typist's or a remote terminal's arrive: each deletes one character.
      term.type(' v2xyz');
      await term.waitFor(/\? Edit · title: UI pen v2xyz/);
      term.type('\x7f\x7f\x7f');
      await term.waitFor(/\? Edit · title: UI pen v2 *$/m);
      term.press('Enter');
      await term.waitFor(/\? Edit · image URL \(blank for none\): https:\/\/img\.example\/ui\.png/);
      term.press('Enter');
      screen = await term.waitFor(/❯ UI pen v2 +2 +synced/);
      expect(screen).toContain("updated 'UI pen v2'");
      expect((await products())[0]).toMatchObject({ id: created.id, title: 'UI pen v2', image: 'https://img.example/ui.png' });

      // Delete: n keeps it, y deletes it.
      term.press('d');
      await term.waitFor(/\? Delete 'UI pen v2'\? \(y\/n\)/);
      term.type('n');
      await term.waitFor(/nothing deleted/);
      expect(await products()).toHaveLength(1);
      term.press('d');
      await term.waitFor(/\? Delete 'UI pen v2'\? \(y\/n\)/);
      term.type('y');
      screen = await term.waitFor(/deleted 'UI pen v2'/);
      screen = await term.waitFor(/no products yet/);
      expect(screen).not.toContain('UI pen v2 ');
      expect(await products()).toEqual([]);

      // More products than rows: the table keeps its height and scrolls with the selection.
      for (let i = 1; i <= 20; i++) expect((await http('POST', `${sys.dashboardUrl}/api/products`, { title: `Item ${i}` })).status).toBe(201);
      screen = await term.waitFor(/^1–15 of 20 · ↓ 5 more · live$/m);
      expect(screen).toMatch(/❯ Item 1 /);
      expect(screen).toMatch(/ Item 15 /);
      expect(screen).not.toMatch(/ Item 16 /);
      expectLayout(screen);
      term.press('PageDown');
      screen = await term.waitFor(/❯ Item 16 /);
      expect(screen).toMatch(/^2–16 of 20 · ↑ 1 more · ↓ 4 more · live$/m);
      expect(screen).not.toMatch(/ Item 1 /);
      term.press('Down');
      await term.waitFor(/❯ Item 17 /);
      term.press('End');
      screen = await term.waitFor(/^6–20 of 20 · ↑ 5 more · live$/m);
      expect(screen).toMatch(/❯ Item 20 /);
      term.press('Up');
      screen = await term.waitFor(/❯ Item 19 /);
      expect(screen).toMatch(/^6–20 of 20 · ↑ 5 more · live$/m);
      expectLayout(screen);

      // Changes by other clients arrive over the stream: the console does not read the list for them.
      const item19 = (await products()).find((p) => p.title === 'Item 19')!;
      const [other1, other2] = [(await http('POST', `${sys.dashboardUrl}/api/user`)).body.id as string, (await http('POST', `${sys.dashboardUrl}/api/user`)).body.id as string];
      const readsBefore = await productListReads();
      expect((await likeElsewhere(item19.id, other1)).status).toBe(200);
      await term.waitFor(/❯ Item 19 +1 /);
      expect((await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Item 21' })).status).toBe(201);
      screen = await term.waitFor(/^6–20 of 21 · ↑ 5 more · ↓ 1 more · live$/m);
      expect(screen).toMatch(/❯ Item 19 +1 /);
      expect(await productListReads()).toBe(readsBefore);

      // A server goes down: the status line says which, the others stay up.
      expect(term.screen()).toMatch(ALL_UP);
      await sys.stop('product_grpc');
      screen = await term.waitFor(/product_grpc ● down/);
      expect(screen).toMatch(/dashboard ● up\s+dashboard_grpc ● up\s+product ● up\s+product_grpc ● down/);
      expectLayout(screen);
      expect(screen).toContain(FOOTER);
      await sys.start('product_grpc');
      await term.waitFor(ALL_UP);

      // The dashboard's gRPC server is killed: the stream is down (the table says so and falls
      // back to the REST list), a like is recorded but not counted yet (202).
      await sys.kill('dashboard_grpc');
      await term.waitFor(/dashboard ● up\s+dashboard_grpc ● down\s+product ● up\s+product_grpc ● up/);
      await term.waitFor(/of 21 · ↑ 5 more · ↓ 1 more · stream down, retrying in \d+ s \([A-Z_]+/);
      term.press('l');
      await term.waitFor(/\? Like 'Item 19' as:/);
      term.type(`${user}\n`);
      await term.waitFor(new RegExp(`liked 'Item 19' as user ${user.slice(0, 8)}: pending \\(dashboard unreachable\\)`), 20_000);
      expect(term.screen()).toMatch(/❯ Item 19 +1 /);
      // While it is away, more changes than the log keeps: one delete, then renames of Item 20.
      const item20 = (await products()).find((p) => p.title === 'Item 20')!;
      const item21 = (await products()).find((p) => p.title === 'Item 21')!;
      expect((await http('DELETE', `${sys.dashboardUrl}/api/products/${item21.id}`)).status).toBe(204);
      for (let i = 1; i <= RENAMES; i++) expect((await http('PATCH', `${sys.dashboardUrl}/api/products/${item20.id}`, { title: `Item 20 r${i}` })).status).toBe(200);
      // Back: the console reconnects by itself; its resume point was pruned, so the stream sends
      // a fresh snapshot, which replaces the table (Item 21 stays gone); the pending like arrives.
      await sys.start('dashboard_grpc');
      await term.waitFor(ALL_UP);
      screen = await term.waitFor(/^6–20 of 20 · ↑ 5 more · live \(resynced\)$/m, 20_000);
      expect(screen).toMatch(new RegExp(` Item 20 r${RENAMES} `));
      await term.waitFor(/❯ Item 19 +2 /, 20_000);

      // The dashboard's REST server goes away: health says so, and the table, which is the
      // stream, keeps following changes made elsewhere (no list could be read now).
      await sys.stop('dashboard');
      screen = await term.waitFor(/^dashboard ● down/m);
      expect((await likeElsewhere(item19.id, other2)).status).toBe(200);
      screen = await term.waitFor(/❯ Item 19 +3 /);
      expect(screen).toMatch(/^6–20 of 20 · ↑ 5 more · live \(resynced\)$/m);
      expect(screen).not.toContain('not refreshed');
      expectLayout(screen);

      term.press('q');
      screen = await term.waitFor(/EXIT=\d+/);
      expect(screen).toContain('EXIT=0');
    } finally {
      term.close();
    }
  });
});
