/**
 * Claiming outbox rows with several relays at once, each on its own connection pool, on
 * each dialect: every row is claimed by exactly one relay, and a row is never claimed while
 * an older row of its entity is still pending (on PostgreSQL the claims really run in
 * parallel: FOR UPDATE SKIP LOCKED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { QueryTypes, type Sequelize } from 'sequelize';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { atomic } from '../db/atomic.js';
import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrations.js';
import { DIALECTS, testDatabaseUrl } from '../../../test/support/databases.js';
import { outboxMigration } from '../sync/tables.js';
import { OutboxStore } from './store.js';

let dir: string;
const opened: Sequelize[] = [];
let drop: () => Promise<void> = async () => undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-store-'));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
  rmSync(dir, { recursive: true, force: true });
  await drop();
});

describe.each(DIALECTS)('on %s', (dialect) => {
  it('4 relays claiming at once: each row exactly once, an entity only after its older row completed', async () => {
    const db = await testDatabaseUrl(dialect, dir, 'outbox.sqlite3');
    drop = db.drop;
    const relays = await Promise.all([0, 1, 2, 3].map(() => openDatabase(db.url)));
    opened.push(...relays);
    await migrate(relays[0], [outboxMigration]);
    const stores = relays.map((r) => new OutboxStore(r));
    const now = Date.now();
    // 60 rows over 10 entities (6 each), plus 20 without an ordering key, in one call
    // (two multi-row statements): ids come back in the order given.
    const rows = Array.from({ length: 80 }, (_, i) => ({
      topic: 't',
      payload: String(i),
      idempotencyKey: `k${i}`,
      orderingKey: i < 60 ? `e${i % 10}` : null,
      leaseOwner: null,
      leaseUntil: null,
      now,
    }));
    const ids = await atomic(relays[0], (t) => stores[0].insert(rows, t));
    const written = await relays[0].query<{ id: number; payload: string }>('SELECT id, payload FROM mgrpc_outbox ORDER BY id', { type: QueryTypes.SELECT });
    expect(written.map((row) => [Number(row.id), row.payload])).toEqual(ids.map((id, i) => [id, String(i)]));

    const claimedBy = new Map<number, string>();
    const inFlight = new Map<string, number>(); // entity -> row id claimed and not completed
    const order = new Map<string, number[]>(); // entity -> row ids in the order they were claimed
    const violations: string[] = [];
    await Promise.all(
      stores.map(async (store, r) => {
        const owner = `relay-${r}`;
        for (let round = 0; round < 500 && claimedBy.size < 80; round++) {
          const rows = await store.claim(owner, Date.now(), 60_000, 5);
          for (const row of rows) {
            if (claimedBy.has(row.id)) violations.push(`row ${row.id} claimed by ${claimedBy.get(row.id)} and ${owner}`);
            claimedBy.set(row.id, owner);
            if (row.orderingKey) {
              order.set(row.orderingKey, [...(order.get(row.orderingKey) ?? []), row.id]);
              if (inFlight.has(row.orderingKey)) violations.push(`${row.orderingKey}: row ${row.id} claimed while ${inFlight.get(row.orderingKey)} is pending`);
              inFlight.set(row.orderingKey, row.id);
            }
          }
          // Released as completion starts: the database decides when the next row is claimable,
          // and its claim must not be mistaken for a violation while this delete commits.
          for (const row of rows) if (row.orderingKey && inFlight.get(row.orderingKey) === row.id) inFlight.delete(row.orderingKey);
          await store.complete(rows.map((row) => row.id));
        }
      }),
    );
    expect(violations).toEqual([]);
    expect(claimedBy.size).toBe(80);
    for (const [entity, ids] of order) expect(ids, entity).toEqual([...ids].sort((a, b) => a - b));
    expect(await stores[0].entries(10)).toEqual([]);
    // On PostgreSQL more than one relay did work (the claims were not simply serialised onto
    // one). SQLite has one writer at a time: a relay that commits quickly can take the lock
    // again before the others' busy waits wake, so there it may well be one relay.
    if (dialect === 'postgres') expect(new Set(claimedBy.values()).size).toBeGreaterThan(1);
  });

  it('anyDue: true only for a pending row that is due and not leased; read without the write lock', { timeout: 30_000 }, async () => {
    const db = await testDatabaseUrl(dialect, dir, 'due.sqlite3');
    drop = db.drop;
    const relay = await openDatabase(db.url);
    opened.push(relay);
    await migrate(relay, [outboxMigration]);
    const store = new OutboxStore(relay);
    const now = Date.now();
    const row = (key: string, lease: { owner: string; until: number } | null = null) => ({
      topic: 't', payload: '{}', idempotencyKey: key, orderingKey: null, leaseOwner: lease?.owner ?? null, leaseUntil: lease?.until ?? null, now,
    });
    expect(await store.anyDue(now)).toBe(false);
    // Leased (delivered at once by the process that wrote it): not due until the lease runs out.
    const [leased] = await atomic(relay, (t) => store.insert([row('leased', { owner: 'me', until: now + 60_000 })], t));
    expect(await store.anyDue(now)).toBe(false);
    expect(await store.anyDue(now + 60_001)).toBe(true);
    // A retry waits for its next attempt; a failed row is never due.
    await store.retry(leased, now + 1000, 'down');
    expect(await store.anyDue(now)).toBe(false);
    expect(await store.anyDue(now + 1000)).toBe(true);
    await store.fail(leased, 'refused');
    expect(await store.anyDue(now + 1000)).toBe(false);
    await atomic(relay, (t) => store.insert([row('fresh')], t));
    expect(await store.anyDue(now)).toBe(true);

    if (dialect === 'sqlite') {
      // Another process holds the write lock (as the service's other server does while it
      // writes): the look answers at once, where a claim would wait for the lock.
      const other = new sqlite3.Database(db.url.replace(/^sqlite:/, ''));
      await new Promise<void>((resolve, reject) => other.exec('BEGIN IMMEDIATE', (err) => (err ? reject(err) : resolve())));
      try {
        const started = performance.now();
        expect(await store.anyDue(now)).toBe(true);
        expect(performance.now() - started).toBeLessThan(2000);
        await expect(store.claim('me', now, 1000, 10)).rejects.toThrow(/SQLITE_BUSY|database is locked/);
      } finally {
        await new Promise<void>((resolve) => other.exec('ROLLBACK', () => other.close(() => resolve())));
      }
    }
  });
});
