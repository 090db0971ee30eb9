/**
 * The generic gRPC actions over a real server and a real SQLite file, through a raw grpc-js
 * client: every CRUD action, and every row of the error table as a status and details.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { FAKE_SECRET, startLibrary, type Library } from '../../../test/support/library.js';
import { DIALECTS } from '../../../test/support/databases.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING_ID = '3b241101-e2bb-4255-8caf-4136c566a962';

// The same behaviour on each database the framework supports.
describe.each(DIALECTS)('on %s', (dialect) => {
  let lib: Library;

  beforeAll(async () => {
    lib = await startLibrary({ dialect });
  });

  afterAll(async () => {
    await lib?.close();
  });

  beforeEach(async () => {
    await lib.books.model.destroy({ where: {} });
  });

  function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
    return promise.then(
      (res) => {
        throw new Error(`expected the call to fail, got ${JSON.stringify(res)}`);
      },
      (err: grpc.ServiceError) => err,
    );
  }

  describe('generic actions', () => {
    it('Create stores the book and answers it with its id, int64 as a string and the date as ISO', async () => {
      const created = await lib.call('Create', { title: 'Dune', isbn: '0441013597', pages: 412 });
      expect(created).toMatchObject({ title: 'Dune', isbn: '0441013597', pages: '412' });
      expect(created.id).toMatch(UUID);
      expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
      const row = await lib.books.model.findByPk(created.id);
      expect(row?.get({ plain: true })).toMatchObject({ title: 'Dune', isbn: '0441013597', pages: 412 });
    });

    it('Create ignores read-only fields sent by the client', async () => {
      const created = await lib.call('Create', { id: MISSING_ID, title: 'Emma', createdAt: '1999-01-01T00:00:00.000Z' });
      expect(created.id).not.toBe(MISSING_ID);
      expect(created.createdAt).not.toBe('1999-01-01T00:00:00.000Z');
    });

    it("Create stores '' as null for a nullable string and answers it as ''", async () => {
      const created = await lib.call('Create', { title: 'Untitled draft', isbn: '' });
      expect(created.isbn).toBe('');
      expect((await lib.books.model.findByPk(created.id))?.isbn).toBeNull();
      // Two books without an ISBN do not clash on the UNIQUE column: '' became NULL.
      await expect(lib.call('Create', { title: 'Another draft' })).resolves.toMatchObject({ isbn: '' });
    });

    it('Retrieve answers what Create stored', async () => {
      const created = await lib.call('Create', { title: 'Middlemarch', isbn: '9780141439549', pages: 880 });
      expect(await lib.call('Retrieve', { id: created.id })).toEqual(created);
    });

    it('List pages with limit and offset, in the resource ordering', async () => {
      for (const title of ['C', 'A', 'E', 'B', 'D']) await lib.call('Create', { title });
      const titles = async (request: object) => ((await lib.call('List', request)).items as { title: string }[]).map((b) => b.title);
      expect(await titles({})).toEqual(['A', 'B', 'C', 'D', 'E']);
      expect(await titles({ limit: 2 })).toEqual(['A', 'B']);
      expect(await titles({ limit: 2, offset: 2 })).toEqual(['C', 'D']);
      expect(await titles({ offset: 4 })).toEqual(['E']);
      expect(await titles({ offset: 9 })).toEqual([]);
    });

    it('List refuses a page larger than the resource allows', async () => {
      const err = await failure(lib.call('List', { limit: 101 }));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toBe('limit: must be an integer from 1 to 100');
    });

    it('Update replaces every writable field', async () => {
      const created = await lib.call('Create', { title: 'Dune', isbn: '0441013597', pages: 412 });
      const updated = await lib.call('Update', { id: created.id, title: 'Dune (1965)' });
      // A full update: the omitted isbn is '' on the wire, so it becomes null; pages 0.
      expect(updated).toMatchObject({ id: created.id, title: 'Dune (1965)', isbn: '', pages: '0', createdAt: created.createdAt });
      expect((await lib.books.model.findByPk(created.id))?.get({ plain: true })).toMatchObject({ title: 'Dune (1965)', isbn: null, pages: 0 });
    });

    it('PartialUpdate changes the fields sent and leaves omitted ones alone', async () => {
      const created = await lib.call('Create', { title: 'Dune', isbn: '0441013597', pages: 412 });
      const renamed = await lib.call('PartialUpdate', { id: created.id, title: 'Dune Messiah' });
      expect(renamed).toMatchObject({ title: 'Dune Messiah', isbn: '0441013597', pages: '412' });
      const repaged = await lib.call('PartialUpdate', { id: created.id, pages: 256 });
      expect(repaged).toMatchObject({ title: 'Dune Messiah', isbn: '0441013597', pages: '256' });
      expect((await lib.books.model.findByPk(created.id))?.get({ plain: true })).toMatchObject({ title: 'Dune Messiah', isbn: '0441013597', pages: 256 });
    });

    it('Destroy removes the book and answers Empty', async () => {
      const created = await lib.call('Create', { title: 'Gone' });
      expect(await lib.call('Destroy', { id: created.id })).toEqual({});
      expect(await lib.books.model.count()).toBe(0);
      const again = await failure(lib.call('Destroy', { id: created.id }));
      expect(again.code).toBe(grpc.status.NOT_FOUND);
    });
  });

  describe('the error table over gRPC', () => {
    it.each([
      ['a title that is too long', 'Create', { title: 'x'.repeat(201) }, 'title: must be at most 200 characters'],
      ['a missing title', 'Create', { isbn: '0441013597' }, 'title: is required'],
      ['a blank title on update', 'Update', { id: MISSING_ID, title: '   ' }, 'title: must not be empty'],
      ['a malformed isbn', 'Create', { title: 'A', isbn: '12-34' }, 'isbn: must be 10 or 13 digits'],
      ['negative pages', 'Create', { title: 'A', pages: -1 }, 'pages: must be at least 0'],
      ['a lookup that is not a UUID', 'Retrieve', { id: 'nope' }, "id: 'nope' is not a valid UUID"],
      ['a missing lookup', 'Retrieve', {}, 'id: is required'],
      ['a bad lookup on update', 'PartialUpdate', { id: '42', title: 'A' }, "id: '42' is not a valid UUID"],
      ['a bad lookup on destroy', 'Destroy', { id: 'x' }, "id: 'x' is not a valid UUID"],
    ])('%s is INVALID_ARGUMENT naming the field', async (_case, method, request, details) => {
      const err = await failure(lib.call(method, request));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toBe(details);
    });

    it('a missing book is NOT_FOUND on every item action', async () => {
      for (const method of ['Retrieve', 'Update', 'PartialUpdate', 'Destroy']) {
        const err = await failure(lib.call(method, { id: MISSING_ID, title: 'A' }));
        expect(err.code, method).toBe(grpc.status.NOT_FOUND);
        expect(err.details, method).toBe(`book ${MISSING_ID} not found`);
      }
    });

    it('a second book with the same isbn is ALREADY_EXISTS, on create and on update', async () => {
      await lib.call('Create', { title: 'Once', isbn: '9999999999' });
      const err = await failure(lib.call('Create', { title: 'Twice', isbn: '9999999999' }));
      expect(err.code).toBe(grpc.status.ALREADY_EXISTS);
      expect(err.details).toBe('a record with this isbn already exists');

      const other = await lib.call('Create', { title: 'Other', isbn: '1111111111' });
      const clash = await failure(lib.call('PartialUpdate', { id: other.id, isbn: '9999999999' }));
      expect(clash.code).toBe(grpc.status.ALREADY_EXISTS);
      // The failed write was rolled back.
      expect((await lib.call('Retrieve', { id: other.id })).isbn).toBe('1111111111');
    });

    it('an unexpected error is INTERNAL "internal error", with no secret or stack on the wire', async () => {
      const before = lib.logger.lines.length;
      const err = await failure(lib.call('Explode', { id: MISSING_ID }));
      expect(err.code).toBe(grpc.status.INTERNAL);
      expect(err.details).toBe('internal error');
      const wire = JSON.stringify({ details: err.details, message: err.message, metadata: err.metadata.toJSON() });
      expect(wire).not.toContain(FAKE_SECRET);
      expect(wire).not.toMatch(/\bat .+:\d+:\d+/);
      // The server keeps the cause for its operator.
      const logged = lib.logger.lines.slice(before).join('\n');
      expect(logged).toContain('/library.BookService/Explode');
      expect(logged).toContain(FAKE_SECRET);
    });
  });
});
