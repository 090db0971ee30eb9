import { describe, expect, it } from 'vitest';

import { databaseUrlFor, defineServiceModule } from './index.js';
import { libraryModule } from '../../test/support/library.js';

describe('databaseUrlFor', () => {
  it('prefers <NAME>_DATABASE_URL, then DATABASE_URL, then a SQLite file in MGRPC_DATA_DIR', () => {
    const env = { LIBRARY_DATABASE_URL: 'sqlite:/a.sqlite3', DATABASE_URL: 'sqlite:/b.sqlite3', MGRPC_DATA_DIR: '/data' };
    expect(databaseUrlFor('library', env)).toBe('sqlite:/a.sqlite3');
    expect(databaseUrlFor('library', { ...env, LIBRARY_DATABASE_URL: '' })).toBe('sqlite:/b.sqlite3');
    expect(databaseUrlFor('library', { MGRPC_DATA_DIR: '/data' })).toBe('sqlite:/data/library.sqlite3');
    expect(databaseUrlFor('library', {})).toBe('sqlite:data/library.sqlite3');
  });

  it('turns dashes in the name into underscores for the variable', () => {
    expect(databaseUrlFor('book-shop', { BOOK_SHOP_DATABASE_URL: 'sqlite:/s.sqlite3' })).toBe('sqlite:/s.sqlite3');
  });
});

describe('defineServiceModule', () => {
  it('accepts a lower-case name and returns the module', () => {
    expect(defineServiceModule({ ...libraryModule, name: 'book-shop_2' }).name).toBe('book-shop_2');
  });

  it.each(['Library', '2library', 'book shop', ''])("refuses the name '%s'", (name) => {
    expect(() => defineServiceModule({ ...libraryModule, name })).toThrow(`service name '${name}' must be lower-case letters, digits, - or _`);
  });
});
