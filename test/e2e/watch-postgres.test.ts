/**
 * WatchProducts on PostgreSQL with two replicas of every process: likes committed by both
 * dashboard gRPC replicas and edits by both REST replicas, concurrently, reach watchers on
 * either replica exactly once and in the same order, the log's order; a watcher that leaves
 * replica 1 mid-burst resumes on replica 2 from its last seq and ends where the others do;
 * a resume point older than the pruned log gets a fresh snapshot flagged expired. The log
 * is kept at 1,000 rows here, so the writers prune it during the burst.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openDatabase, pruneChanges } from '../../services/framework/index.js';
import { pool } from '../support/eventually.js';
import { http, startSystem, type RunningSystem } from '../support/system.js';
import { productClient, watchProducts } from '../support/watch.js';

let sys: RunningSystem;
let db: Sequelize;
let targets: string[];
const ids: string[] = [];

beforeAll(async () => {
  // A small log, so the burst prunes it.
  sys = await startSystem({ database: 'postgres', replicas: 2, env: { LOG_LEVEL: 'warn', MGRPC_CHANGE_LOG_KEEP: '1000' } });
  db = await openDatabase(sys.env.DASHBOARD_DATABASE_URL!);
  targets = sys.names.dashboard_grpc.map((name) => `127.0.0.1:${sys.ports[name]}`);
  for (let i = 0; i < 5; i++) {
    const res = await http('POST', `${sys.dashboardUrls[i % 2]}/api/products`, { title: `Product ${i}` });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
});

afterAll(async () => {
  await db?.close();
  await sys?.close();
});

describe('WatchProducts on PostgreSQL, two replicas', () => {
  it('gives watchers on both replicas every change once, in one commit order; a watcher moves replicas mid-burst', async () => {
    const [one, two] = targets.map((target) => watchProducts(target));
    const mover = watchProducts(targets[0]);
    await Promise.all([one.ready(), two.ready(), mover.ready()]);
    const clients = targets.map((target) => productClient(target));
    const burst = Promise.all([
      pool(1000, 32, (i) => new Promise<void>((resolve, reject) => clients[i % 2].LikeProduct({ id: ids[i % 5] }, (err: Error | null) => (err ? reject(err) : resolve())))),
      pool(50, 4, async (i) => {
        const res = await http('PATCH', `${sys.dashboardUrls[i % 2]}/api/products/${ids[i % 5]}`, { title: `Edit ${i}` });
        expect(res.status).toBe(200);
      }),
    ]);
    await mover.until('100 live changes', (w) => w.liveSeqs.length >= 100);
    mover.cancel();
    await mover.ended();
    const moved = watchProducts(targets[1], mover.lastSeq);
    await burst;
    for (const client of clients) client.close();

    const [{ end }] = await db.query<{ end: string }>(`SELECT MAX(seq) AS end FROM mgrpc_changes`, { type: QueryTypes.SELECT });
    for (const w of [one, two, moved]) await w.until('the last change', (x) => Number(x.lastSeq) >= Number(end), 30_000);

    expect(one.liveSeqs).toHaveLength(1050);
    expect(two.liveSeqs).toEqual(one.liveSeqs);
    expect(one.liveSeqs).toEqual([...one.liveSeqs].sort((a, b) => a - b));
    // The mover got no change twice and none missing, unless the log was pruned past it (then a fresh snapshot).
    const expired = moved.messages.find((m) => m.event === 'ready')!.ready!.expired;
    if (!expired) expect([...mover.liveSeqs, ...moved.liveSeqs]).toEqual(one.liveSeqs);
    // Each like once, counted up one by one, whichever replica counted it.
    for (const id of ids) {
      const counts = one.messages.filter((m) => m.updated?.id === id).map((m) => Number(m.updated!.likes));
      expect(counts.filter((n, i) => n > 0 && n !== counts[i - 1])).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
    }
    const listed = (await http('GET', `${sys.dashboardUrls[0]}/api/products`)).body as { id: string; title: string; likes: number }[];
    for (const product of listed) {
      for (const w of [one, two]) expect(w.state.get(product.id)).toMatchObject({ title: product.title, likes: String(product.likes) });
    }
    const moverState = new Map([...mover.state]);
    if (expired) moverState.clear();
    for (const [id, product] of moved.state) moverState.set(id, product);
    expect(moverState).toEqual(one.state);

    // Pruned to its newest 500 rows (as writers do past MGRPC_CHANGE_LOG_KEEP): a resume point from before the burst is gone.
    await pruneChanges(db, 500);
    const stale = watchProducts(targets[1], one.messages.find((m) => m.event === 'ready')!.seq);
    expect((await stale.ready()).ready).toEqual({ snapshot: true, expired: true });
    expect(new Map(stale.state)).toEqual(one.state);
    for (const w of [one, two, mover, moved, stale]) {
      w.cancel();
      w.close();
    }
  }, 180_000);
});
