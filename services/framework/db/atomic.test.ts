/**
 * atomic() over real databases (SQLite files, fresh PostgreSQL databases): nested calls join the open transaction (and roll back
 * with it), independent calls get transactions of their own, and currentTransaction names
 * the transaction of this async path and this database only.
 */

import type { Sequelize, Transaction } from 'sequelize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { outboxMigration } from '../sync/tables.js';
import { bookMigrations, defineBook, type BookModel } from '../../../test/support/book.js';
import { atomic, currentTransaction } from './atomic.js';
import { openDatabase } from './connect.js';
import { migrate } from './migrations.js';
import { DIALECTS, TestDatabases } from '../../../test/support/databases.js';

const databases = new TestDatabases('mgrpc-atomic-');

let sequelize: Sequelize;
let Book: BookModel;
const opened: Sequelize[] = [];

async function open(name: string): Promise<Sequelize> {
  const db = await openDatabase(await databases.url(name));
  opened.push(db);
  await migrate(db, [outboxMigration, ...bookMigrations]);
  return db;
}

describe.each(DIALECTS)('on %s', (each) => {
  beforeEach(async () => {
    databases.start(each);
    sequelize = await open('atomic.sqlite3');
    Book = defineBook(sequelize);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
    await databases.cleanup();
  });

  /** The promise's value, or a failure after `ms` (a transaction waiting for itself never settles). */
  async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const titles = async (model: BookModel = Book) => (await model.findAll({ order: [['title', 'ASC']] })).map((b) => b.title);

  describe('atomic', () => {
    it('a nested call joins the outer transaction and rolls back with it', async () => {
      let inner: Transaction | undefined;
      let outer: Transaction | undefined;
      await expect(
        atomic(sequelize, async (t) => {
          outer = t;
          await Book.create({ title: 'outer' }, { transaction: t });
          await atomic(sequelize, async (t2) => {
            inner = t2;
            await Book.create({ title: 'inner' }, { transaction: t2 });
          });
          throw new Error('abort the outer transaction');
        }),
      ).rejects.toThrow('abort the outer transaction');
      expect(inner).toBeDefined();
      expect(inner).toBe(outer);
      // The inner call returned normally, yet its write went with the outer rollback.
      expect(await titles()).toEqual([]);
    });

    it('a nested call that throws fails the outer one as a whole (no partial commit)', async () => {
      await expect(
        atomic(sequelize, async (t) => {
          await Book.create({ title: 'outer' }, { transaction: t });
          await atomic(sequelize, async (t2) => {
            await Book.create({ title: 'inner' }, { transaction: t2 });
            throw new Error('inner failed');
          });
        }),
      ).rejects.toThrow('inner failed');
      expect(await titles()).toEqual([]);
    });

    it('nested writes commit together with the outer transaction', async () => {
      const result = await atomic(sequelize, async (t) => {
        await Book.create({ title: 'outer' }, { transaction: t });
        return atomic(sequelize, async (t2) => {
          await Book.create({ title: 'inner' }, { transaction: t2 });
          return 'done';
        });
      });
      expect(result).toBe('done');
      expect(await titles()).toEqual(['inner', 'outer']);
    });

    it('independent calls get separate transactions, sequential or concurrent', async () => {
      const seen: Transaction[] = [];
      await atomic(sequelize, async (t) => {
        seen.push(t);
        await Book.create({ title: 'first' }, { transaction: t });
      });
      await atomic(sequelize, async (t) => {
        seen.push(t);
        await Book.create({ title: 'second' }, { transaction: t });
      });
      // Concurrent calls from separate async paths: one fails, the others still commit.
      const results = await Promise.allSettled(
        ['a', 'b', 'c'].map((title) =>
          atomic(sequelize, async (t) => {
            seen.push(t);
            await Book.create({ title }, { transaction: t });
            if (title === 'b') throw new Error('b fails alone');
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(new Set(seen).size).toBe(5);
      expect(await titles()).toEqual(['a', 'c', 'first', 'second']);
    });

    it('currentTransaction names the open transaction on this async path only', async () => {
      expect(currentTransaction(sequelize)).toBeUndefined();
      let inside: Transaction | undefined;
      let afterAwait: Transaction | undefined;
      let mine: Transaction | undefined;
      await atomic(sequelize, async (t) => {
        mine = t;
        inside = currentTransaction(sequelize);
        await Book.create({ title: 'x' }, { transaction: t });
        await new Promise((resolve) => setImmediate(resolve));
        afterAwait = currentTransaction(sequelize);
      });
      expect(inside).toBe(mine);
      expect(afterAwait).toBe(mine);
      expect(currentTransaction(sequelize)).toBeUndefined();
    });

    it('currentTransaction is per database: a second database gets its own transaction', async () => {
      const other = await open('other.sqlite3');
      const OtherBook = defineBook(other);
      await expect(
        atomic(sequelize, async (t) => {
          await Book.create({ title: 'rolled back' }, { transaction: t });
          expect(currentTransaction(other)).toBeUndefined();
          await atomic(other, async (t2) => {
            expect(t2).not.toBe(t);
            expect(currentTransaction(other)).toBe(t2);
            // The first database's transaction is still the one for the first database.
            expect(currentTransaction(sequelize)).toBe(t);
            await OtherBook.create({ title: 'committed' }, { transaction: t2 });
            // Back on the first database from inside the second's block: joins the first
            // transaction (a new one would queue behind it and never start).
            const joined = await within(1000, atomic(sequelize, async (t3) => t3));
            expect(joined).toBe(t);
          });
          throw new Error('abort the first database only');
        }),
      ).rejects.toThrow('abort the first database only');
      expect(await titles()).toEqual([]);
      expect(await titles(OtherBook)).toEqual(['committed']);
    });

    it('afterCommit hooks run outside the finished transaction, so atomic there opens a new one', async () => {
      let inHook: Transaction | undefined | null = null;
      let committed: Promise<void> | undefined;
      let first: Transaction | undefined;
      await atomic(sequelize, async (t) => {
        first = t;
        await Book.create({ title: 'first' }, { transaction: t });
        t.afterCommit(() => {
          inHook = currentTransaction(sequelize);
          committed = atomic(sequelize, async (t2) => {
            expect(t2).not.toBe(first);
            await Book.create({ title: 'after commit' }, { transaction: t2 });
          });
        });
      });
      expect(inHook).toBeUndefined();
      await committed;
      expect(await titles()).toEqual(['after commit', 'first']);
    });

    it('work that outlives a block (a timer) gets a transaction of its own, not the finished one', async () => {
      let late: Promise<Transaction> | undefined;
      let first: Transaction | undefined;
      await atomic(sequelize, async (t) => {
        first = t;
        await Book.create({ title: 'first' }, { transaction: t });
        late = new Promise<Transaction>((resolve, reject) => {
          setTimeout(() => {
            atomic(sequelize, async (t2) => {
              await Book.create({ title: 'late' }, { transaction: t2 });
              return t2;
            }).then(resolve, reject);
          }, 20);
        });
      });
      const second = await within(1000, late!);
      expect(second).not.toBe(first);
      expect(await titles()).toEqual(['first', 'late']);
    });

    it('work started by a block that runs while the block commits gets a transaction of its own', async () => {
      let late: Promise<Transaction> | undefined;
      let first: Transaction | undefined;
      let release!: () => void;
      const blockReturned = new Promise<void>((resolve) => (release = resolve));
      await atomic(sequelize, async (t) => {
        first = t;
        await Book.create({ title: 'first' }, { transaction: t });
        // Runs as soon as the block has returned: while its commit is still under way.
        late = blockReturned.then(() =>
          atomic(sequelize, async (t2) => {
            await Book.create({ title: 'late' }, { transaction: t2 });
            return t2;
          }),
        );
        queueMicrotask(release);
      });
      const second = await within(1000, late!);
      expect(second).not.toBe(first);
      expect(await titles()).toEqual(['first', 'late']);
    });

    it('a nested call reads the outer transaction\'s uncommitted writes', async () => {
      await atomic(sequelize, async (t) => {
        await Book.create({ title: 'seen' }, { transaction: t });
        const count = await atomic(sequelize, (t2) => Book.count({ transaction: t2 }));
        expect(count).toBe(1);
      });
    });
  });
});
