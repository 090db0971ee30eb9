/**
 * Where makemigrations writes, on a copy of this repository's dashboard migrations folder:
 * the next number, the file, and its registration in index.ts; a folder not in the shape it
 * extends is refused with what it needs.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { addMigration, migrationsFolder } from './migrations-folder.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let root: string;
const dir = () => path.join(root, 'services/dashboard/migrations');

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mgrpc-migrations-folder-'));
  cpSync(path.join(ROOT, 'services/dashboard/migrations'), dir(), { recursive: true });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('migrations folder', () => {
  it('numbers after the highest file, writes it and registers it in index.ts, twice in a row', () => {
    const folder = migrationsFolder('dashboard', root);
    expect(folder).toMatchObject({ nextNumber: '0003', frameworkImport: '../../framework/index.js' });
    const file = addMigration(folder, 'add-product-price', (name, exported) => `export const ${exported} = '${name}';\n`);
    expect(path.relative(root, file)).toBe('services/dashboard/migrations/0003-add-product-price.ts');
    expect(readFileSync(file, 'utf8')).toBe("export const addProductPrice = '0003-add-product-price';\n");

    // The same slug again (added, removed, added back): the number tells the two apart.
    addMigration(migrationsFolder('dashboard', root), 'add-product-price', (name, exported) => `export const ${exported} = '${name}';\n`);
    const index = readFileSync(path.join(dir(), 'index.ts'), 'utf8');
    expect(index).toContain(
      [
        "import { imageUrlLength } from './0002-image-url-length.js';",
        "import { addProductPrice } from './0003-add-product-price.js';",
        "import { addProductPrice0004 } from './0004-add-product-price.js';",
      ].join('\n'),
    );
    expect(index).toContain('export const migrations: Migration[] = [initial, imageUrlLength, addProductPrice, addProductPrice0004];');
  });

  it('refuses a service whose sources are elsewhere, and an index.ts it cannot extend', () => {
    expect(() => migrationsFolder('product', root)).toThrow(`no services/product/migrations/index.ts: makemigrations writes next to the sources of service product, which are not in ${root}`);
    writeFileSync(path.join(dir(), 'index.ts'), "export { migrations } from './all.js';\n");
    expect(() => migrationsFolder('dashboard', root)).toThrow(
      "services/dashboard/migrations/index.ts is not in the shape makemigrations extends: it needs `import type { Migration } from '…';` and `export const migrations: Migration[] = [ … ];`",
    );
  });
});
