/**
 * The SQLite write queue's group commit, on a real file: transactions that queue up while
 * one runs commit together, a failing one is rolled back alone, afterCommit hooks run only
 * for what was kept, and each transaction still sees its caller's async context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import type { Sequelize } from 'sequelize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { defineBook, type BookModel } from '../../../test/support/book.js';
import { sleep } from '../../../test/support/wait.js';
import { atomic } from './atomic.js';
import { openDatabase } from './connect.js';
import { sqliteLiteral, sqlRunner } from './sql.js';
import { deferToCommit, inWriteTurn } from './write-queue.js';
import { openLibraryDatabase } from '../../../test/support/library.js';

let db: Awaited<ReturnType<typeof openLibraryDatabase>>;
let sequelize: Sequelize;
let Book: BookModel;

beforeEach(async () => {
  db = await openLibraryDatabase();
  sequelize = db.sequelize;
  Book = defineBook(sequelize);
});

afterEach(async () => {
  await db.cleanup();
});

const titles = async () => (await Book.findAll({ order: [['title', 'ASC']] })).map((b) => b.title);

describe('group commit', () => {
  it('keeps every transaction that succeeded and rolls back only the one that failed', async () => {
    const committed: string[] = [];
    const sqliteTransactions = new Set<string>();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        sequelize.transaction(async (t) => {
          sqliteTransactions.add(t.id);
          await Book.create({ title: `book ${String(i).padStart(2, '0')}` }, { transaction: t });
          t.afterCommit(() => void committed.push(`book ${String(i).padStart(2, '0')}`));
          if (i === 7) throw new Error('seven fails after its write');
          return i;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, (_, i) => (i === 7 ? 'rejected' : 'fulfilled')));
    expect((results[7] as PromiseRejectedResult).reason.message).toBe('seven fails after its write');
    expect((results[3] as PromiseFulfilledResult<number>).value).toBe(3);
    const expected = Array.from({ length: 20 }, (_, i) => `book ${String(i).padStart(2, '0')}`).filter((t) => t !== 'book 07');
    expect(await titles()).toEqual(expected);
    expect(committed.sort()).toEqual(expected);
    // The first ran alone; the 19 that queued behind it shared one SQLite transaction.
    expect(sqliteTransactions.size).toBe(2);
  });

  it('a statement error inside one transaction does not break the others', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        sequelize.transaction(async (t) => {
          if (i % 3 === 0) await sequelize.query('INSERT INTO no_such_table VALUES (1)', { transaction: t });
          await Book.create({ title: `t${i}` }, { transaction: t });
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4);
    expect((await titles()).sort()).toEqual(['t1', 't2', 't4', 't5', 't7', 't8']);
  });

  it('runs each transaction in its caller’s async context', async () => {
    const context = new AsyncLocalStorage<string>();
    const seen = await Promise.all(
      Array.from({ length: 10 }, (_, i) => context.run(`caller ${i}`, () => sequelize.transaction(async () => context.getStore()))),
    );
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `caller ${i}`));
  });

  it("another process's write lock held past the busy timeout: that transaction fails with SQLITE_BUSY, the next one works", { timeout: 20_000 }, async () => {
    // A second connection pool on the same file stands in for the service's other process.
    const other = await openDatabase(db.url);
    try {
      const OtherBook = defineBook(other);
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const holder = other.transaction(async (t) => {
        await OtherBook.create({ title: 'held' }, { transaction: t });
        holding();
        await sleep(5_800);
      });
      await held;
      const started = Date.now();
      await expect(sequelize.transaction((t) => Book.create({ title: 'blocked' }, { transaction: t }))).rejects.toThrow(/SQLITE_BUSY/);
      expect(Date.now() - started).toBeGreaterThan(4_000);
      await holder;
      await sequelize.transaction((t) => Book.create({ title: 'after' }, { transaction: t }));
      expect(await titles()).toEqual(['after', 'held']);
    } finally {
      await other.close();
    }
  });

  it('a transaction with options still runs, alone, in queue order', async () => {
    const order: string[] = [];
    await Promise.all([
      sequelize.transaction(async () => void order.push('a')),
      sequelize.transaction({}, async () => void order.push('b (options)')),
      sequelize.transaction(async () => void order.push('c')),
    ]);
    expect(order).toEqual(['a', 'b (options)', 'c']);
  });

  describe('statements deferred to the commit', () => {
    const notes = async () => (await sequelize.query('SELECT text FROM notes ORDER BY rowid', { type: 'SELECT' })).map((r) => (r as { text: string }).text);
    beforeEach(async () => {
      await sequelize.query('CREATE TABLE notes (text TEXT NOT NULL)');
    });

    it('run with the COMMIT for the units kept, in unit order; a unit rolled back drops its own', async () => {
      const results = await Promise.allSettled(
        ['first', "it's second", 'fails', 'last'].map((text) =>
          sequelize.transaction(async (t) => {
            expect(deferToCommit(t, `INSERT INTO notes (text) VALUES (${sqliteLiteral(text)})`)).toBe(true);
            // Not run yet: it goes with the commit.
            expect(await notes()).not.toContain(text);
            if (text === 'fails') throw new Error('refused after deferring');
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(await notes()).toEqual(['first', "it's second", 'last']);
    });

    it('a deferred statement that fails rolls its whole transaction back, and its caller gets the error', async () => {
      const outcome = sequelize.transaction(async (t) => {
        await Book.create({ title: 'kept only with its note' }, { transaction: t });
        deferToCommit(t, 'INSERT INTO notes (text) VALUES (NULL)');
      });
      await expect(outcome).rejects.toThrow(/NOT NULL/);
      expect(await titles()).toEqual([]);
      expect(await notes()).toEqual([]);
      // The queue goes on.
      await sequelize.transaction(async (t) => void deferToCommit(t, `INSERT INTO notes (text) VALUES ('after')`));
      expect(await notes()).toEqual(['after']);
    });

    it('in a group, a failing deferred statement fails its own transaction only', async () => {
      const results = await Promise.allSettled(
        ['kept', null, 'kept too'].map((text) =>
          sequelize.transaction(async (t) => {
            await Book.create({ title: `book of ${text}` }, { transaction: t });
            deferToCommit(t, `INSERT INTO notes (text) VALUES (${text === null ? 'NULL' : sqliteLiteral(text)})`);
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await notes()).toEqual(['kept', 'kept too']);
      expect((await titles()).sort()).toEqual(['book of kept', 'book of kept too']);
    });

    it('a transaction the queue did not open is refused: the caller runs the statement itself', async () => {
      await sequelize.transaction({}, async (t) => expect(deferToCommit(t, 'SELECT 1')).toBe(false));
    });

    it('literals: quotes doubled, NUL and non-finite numbers refused', () => {
      expect(sqliteLiteral("a'b")).toBe("'a''b'");
      expect(sqliteLiteral(42)).toBe('42');
      expect(() => sqliteLiteral('a\0b')).toThrow(/NUL/);
      expect(() => sqliteLiteral(Number.NaN)).toThrow(/finite/);
    });
  });
});

describe('inWriteTurn', () => {
  it('runs an autocommit write after the transactions queued before it have committed and before those queued after it begin', async () => {
    const order: string[] = [];
    const run = sqlRunner(sequelize);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = sequelize.transaction(async (t) => {
      await Book.create({ title: 'in the first transaction' }, { transaction: t });
      await held;
      order.push('first transaction');
    });
    const write = inWriteTurn(sequelize, async () => {
      // The first transaction has committed: its row is there, seen from outside it.
      order.push(`write sees ${(await titles()).join(', ')}`);
      return run.all<{ title: string }>("UPDATE books SET title = 'renamed outside a transaction' WHERE title = ? RETURNING title", ['in the first transaction']);
    });
    const second = sequelize.transaction(async () => void order.push('second transaction'));
    await sleep(20);
    expect(order).toEqual([]);
    release();
    expect(await write).toEqual([{ title: 'renamed outside a transaction' }]);
    await Promise.all([first, second]);
    expect(order).toEqual(['first transaction', 'write sees in the first transaction', 'second transaction']);
    expect(await titles()).toEqual(['renamed outside a transaction']);
  });

  it('rejects its caller with the write\'s error, thrown or returned, and the queue goes on', async () => {
    await expect(inWriteTurn(sequelize, () => sqlRunner(sequelize).all('UPDATE no_such_table SET x = 1'))).rejects.toThrow(/no such table/);
    await expect(inWriteTurn(sequelize, () => { throw new Error('thrown before a promise'); })).rejects.toThrow('thrown before a promise');
    await sequelize.transaction(async (t) => void (await Book.create({ title: 'after them' }, { transaction: t })));
    expect(await titles()).toEqual(['after them']);
  });

  it('is refused inside an atomic block, whose end it would otherwise wait for', async () => {
    await expect(atomic(sequelize, () => inWriteTurn(sequelize, () => sqlRunner(sequelize).all('SELECT 1 AS one')))).rejects.toThrow(/inside a transaction/);
    expect(await inWriteTurn(sequelize, () => sqlRunner(sequelize).all('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
  });
});
