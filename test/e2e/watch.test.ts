/**
 * WatchProducts end to end, on the real four processes (SQLite): watchers follow a burst of
 * 1,000 likes (gRPC) and 50 edits (REST, the other process writing the same file) and get
 * every change exactly once, in commit order, checked against the change log itself; a
 * watcher that leaves mid-burst resumes from its last seq and ends where the others do; a
 * watcher that never reads does not make the server pull its changes ahead; a graceful stop
 * ends the streams UNAVAILABLE with "reconnect"; `mgrpc call` prints a stream as JSON lines
 * and `mgrpc product list --watch` prints a change as it happens.
 */
import { spawn } from 'node:child_process';

import * as grpc from '@grpc/grpc-js';
import { QueryTypes, type Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { databaseUrlFor, openDatabase } from '../../services/framework/index.js';
import { SHUTDOWN_DETAILS } from '../../services/framework/grpc/server.js';
import { pool } from '../support/eventually.js';
import { CLI, ROOT, http, runCli, startSystem, type RunningSystem } from '../support/system.js';
import { waitUntil } from '../support/wait.js';
import { productClient, watchProducts, type Watcher } from '../support/watch.js';

let sys: RunningSystem;
let db: Sequelize;
let grpcTarget: string;
const ids: string[] = [];

beforeAll(async () => {
  sys = await startSystem();
  grpcTarget = sys.dashboardGrpc;
  db = await openDatabase(databaseUrlFor('dashboard', sys.env), { access: 'read' } as never);
  for (let i = 0; i < 5; i++) {
    const res = await http('POST', `${sys.dashboardUrl}/api/products`, { title: `Product ${i}` });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
}, 60_000);

afterAll(async () => {
  await db?.close();
  await sys?.close();
});

/** The product changes in the log after `after`, in seq order, straight from the database. */
async function logged(after: number): Promise<{ seq: number; kind: string; key: string }[]> {
  const rows = await db.query<{ seq: number; kind: string; key: string }>(`SELECT seq, kind, key FROM mgrpc_changes WHERE topic = 'product' AND seq > ? ORDER BY seq`, {
    type: QueryTypes.SELECT,
    replacements: [after],
  });
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

const readySeq = (w: Watcher) => Number(w.messages.find((m) => m.event === 'ready')!.seq);
const likesOf = (w: Watcher) => ids.map((id) => Number(w.state.get(id)?.likes ?? -1));

describe('WatchProducts on SQLite', () => {
  it('starts with a snapshot of every product, then a ready marker', async () => {
    const w = watchProducts(grpcTarget);
    const ready = await w.ready();
    expect(ready.ready).toEqual({ snapshot: true, expired: false });
    expect(w.messages.filter((m) => m.event === 'snapshot').map((m) => m.seq)).toEqual(['0', '0', '0', '0', '0']);
    expect([...w.state.keys()].sort()).toEqual([...ids].sort());
    // A resume point from the future is no position of this database: a fresh snapshot, flagged.
    const future = watchProducts(grpcTarget, String(Number(ready.seq) + 1_000_000));
    expect((await future.ready()).ready).toEqual({ snapshot: true, expired: true });
    const bad = watchProducts(grpcTarget, '-1');
    expect(await bad.ended()).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('after_seq') });
    for (const one of [w, future, bad]) {
      one.cancel();
      one.close();
    }
  });

  it('delivers 1,000 likes and 50 edits to every watcher exactly once, in commit order; a watcher that leaves mid-burst resumes', async () => {
    const steady = watchProducts(grpcTarget);
    const leaver = watchProducts(grpcTarget);
    const slow = watchProducts(grpcTarget);
    await Promise.all([steady.ready(), leaver.ready(), slow.ready()]);
    slow.call.pause(); // never reads during the burst
    const start = readySeq(steady);
    expect(readySeq(leaver)).toBe(start);

    const likes = productClient(grpcTarget);
    const burst = Promise.all([
      pool(1000, 32, (i) => new Promise<void>((resolve, reject) => likes.LikeProduct({ id: ids[i % 5] }, (err: Error | null) => (err ? reject(err) : resolve())))),
      pool(50, 4, async (i) => {
        const res = await http('PATCH', `${sys.dashboardUrl}/api/products/${ids[i % 5]}`, { title: `Edit ${i}` });
        expect(res.status).toBe(200);
      }),
    ]);
    // Leave mid-burst, then come back from the last seq received.
    await leaver.until('300 live changes', (w) => w.liveSeqs.length >= 300);
    leaver.cancel();
    expect((await leaver.ended()).code).toBe(grpc.status.CANCELLED);
    const back = watchProducts(grpcTarget, leaver.lastSeq);
    const resumed = await back.ready();
    expect(resumed).toMatchObject({ seq: leaver.lastSeq, ready: { snapshot: false, expired: false } });
    await burst;
    likes.close();

    const log = await logged(start);
    expect(log.filter((c) => c.kind === 'updated')).toHaveLength(1050);
    const end = log[log.length - 1].seq;
    await steady.until('the last change', (w) => Number(w.lastSeq) >= end);
    await back.until('the last change', (w) => Number(w.lastSeq) >= end);

    // Exactly once, in commit order: the log's own seqs, none missing, none twice.
    expect(steady.liveSeqs).toEqual(log.map((c) => c.seq));
    expect([...leaver.liveSeqs, ...back.liveSeqs]).toEqual(log.map((c) => c.seq));
    // Every like is its own change, counted up one by one per product.
    for (const id of ids) {
      const counts = steady.messages.filter((m) => m.updated?.id === id).map((m) => Number(m.updated!.likes));
      // (An edit repeats the count it found; one before the first like shows 0.)
      expect(counts.filter((n, i) => n > 0 && n !== counts[i - 1])).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
    }
    expect(likesOf(steady)).toEqual([200, 200, 200, 200, 200]);
    const listed = (await http('GET', `${sys.dashboardUrl}/api/products`)).body as { id: string; title: string; likes: number }[];
    for (const product of listed) {
      for (const w of [steady, back]) expect(w.state.get(product.id)).toMatchObject({ title: product.title, likes: String(product.likes) });
    }

    // The slow watcher: its stream was not pulled ahead while it read nothing …
    slow.cancel();
    await slow.ended();
    const line = await waitUntil('the slow stream\'s log line', () =>
      sys.logs.dashboard_grpc.join('').split('\n').filter((l) => l.includes('WatchProducts') && l.includes('CANCELLED')).find((l) => /messages[=":]+\d+/.test(l)),
    );
    const pulled = Number(/messages[=":]+(\d+)/.exec(line)![1]);
    // What the client's HTTP/2 window (64 KiB, about 300 of these messages) and grpc-js's buffer
    // hold: far from the 1,050 it would have been handed without backpressure.
    expect(pulled).toBeLessThan(1050 / 2);
    // … and, resuming, it ends with the same state as the watcher that never left.
    const caughtUp = watchProducts(grpcTarget, slow.lastSeq);
    await caughtUp.until('the last change', (w) => Number(w.lastSeq) >= end);
    const slowState = new Map(slow.state);
    for (const [id, product] of caughtUp.state) slowState.set(id, product);
    expect(slowState).toEqual(steady.state);
    for (const w of [steady, leaver, back, slow, caughtUp]) {
      w.cancel();
      w.close();
    }
  }, 120_000);

  it('creates and deletes are changes too', async () => {
    const w = watchProducts(grpcTarget);
    await w.ready();
    const created = await http('POST', `${sys.dashboardUrl}/api/products`, { title: 'Short-lived' });
    await w.until('the create', (x) => x.messages.some((m) => m.created?.id === created.body.id));
    expect((await http('DELETE', `${sys.dashboardUrl}/api/products/${created.body.id}`)).status).toBe(204);
    await w.until('the delete', (x) => x.messages.some((m) => m.deleted?.id === created.body.id));
    expect(w.state.has(created.body.id)).toBe(false);
    w.cancel();
    w.close();
  });

  it('mgrpc call prints a server stream as one JSON line per message', async () => {
    // The stream never ends by itself: --max-messages ends it after the snapshot and its marker.
    const out = runCli(['call', 'ProductService/WatchProducts', '--addr', grpcTarget, '--max-messages', '6'], sys.env);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 5).every((l) => l.snapshot?.id)).toBe(true);
    expect(lines[5]).toMatchObject({ ready: { snapshot: true } });
  });

  it('mgrpc product list --watch prints the list, then each change as it happens', async () => {
    const child = spawn(process.execPath, [CLI, 'product', 'list', '--watch'], { cwd: ROOT, env: { ...sys.env, LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitUntil('the listing', () => out.includes('Edit'), 10_000, () => out);
      await http('PATCH', `${sys.dashboardUrl}/api/products/${ids[0]}`, { title: 'Watched edit' });
      await waitUntil('the change', () => out.includes('Watched edit'), 10_000, () => out);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('a graceful stop ends the streams UNAVAILABLE, telling clients to reconnect', async () => {
    const w = watchProducts(grpcTarget);
    await w.ready();
    await sys.stop('dashboard_grpc');
    expect(await w.ended()).toMatchObject({ code: grpc.status.UNAVAILABLE, details: SHUTDOWN_DETAILS });
    w.close();
  });
});
