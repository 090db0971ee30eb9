import { describe, expect, it } from 'vitest';

import {
  formatCreated,
  formatDeleted,
  formatLiked,
  formatProduct,
  formatProductList,
  formatTable,
  formatUpdated,
  formatUserCreated,
  jsonOutput,
  plural,
  printable,
} from './format.js';
import type { Product, ProductCopy } from './types.js';

const pen: Product = {
  id: '11111111-1111-4111-8111-111111111111',
  title: 'Pen',
  image: 'https://img.example/pen.png',
  likes: 3,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-02T00:00:00.000Z',
};
const pencil: Product = { ...pen, id: '22222222-2222-4222-8222-222222222222', title: 'Mechanical pencil', image: null, likes: 0 };

describe('formatTable', () => {
  it('aligns columns under the header, two spaces apart, without trailing spaces', () => {
    expect(formatTable(['id', 'title'], [['1', 'Pen'], ['22', '']])).toBe('id  title\n1   Pen\n22\n');
  });
});

describe('formatProductList', () => {
  it('shows id, title, likes and image of dashboard products', () => {
    expect(formatProductList([pen, pencil])).toBe(
      [
        'id                                    title              likes  image',
        '11111111-1111-4111-8111-111111111111  Pen                3      https://img.example/pen.png',
        '22222222-2222-4222-8222-222222222222  Mechanical pencil  0      -',
        '',
      ].join('\n'),
    );
  });

  it('leaves out the likes column for the product service copies, which have none', () => {
    const { likes: _likes, ...copy } = pen;
    const out = formatProductList([copy satisfies ProductCopy]);
    expect(out.split('\n')[0]).toBe('id                                    title  image');
    expect(out).not.toContain('likes');
  });

  it('says how to create a product when there is none', () => {
    expect(formatProductList([])).toMatch(/^no products yet: create one with `mgrpc product create --title <title>`\n$/);
  });
});

describe('formatProduct', () => {
  it('prints an aligned key: value block', () => {
    expect(formatProduct(pencil)).toBe(
      [
        'id:         22222222-2222-4222-8222-222222222222',
        'title:      Mechanical pencil',
        'likes:      0',
        'image:      -',
        'created_at: 2026-01-01T00:00:00.000Z',
        'updated_at: 2026-01-02T00:00:00.000Z',
        '',
      ].join('\n'),
    );
  });

  it('treats a missing image like null', () => {
    const { image: _image, ...noImage } = pen;
    expect(formatProduct(noImage as Product)).toContain('image:      -\n');
  });
});

describe('confirmation lines', () => {
  it('create, update, delete, user create', () => {
    expect(formatCreated(pen)).toBe(`created 'Pen' (${pen.id})\n`);
    expect(formatUpdated(pen)).toBe(`updated 'Pen' (${pen.id}) — image: https://img.example/pen.png\n`);
    expect(formatUpdated(pencil)).toBe(`updated 'Mechanical pencil' (${pencil.id}) — no image\n`);
    expect(formatDeleted(pen.id)).toBe(`deleted product ${pen.id}\n`);
    expect(formatUserCreated({ id: 'u-1', created_at: pen.created_at })).toBe('created user u-1\n');
  });

  it('like: the title when known, the count with the right plural', () => {
    const result = { message: 'Success', product_id: pen.id, user_id: 'u-1', likes: 3 };
    expect(formatLiked(result, 'Pen')).toBe(`liked 'Pen' (${pen.id}) as user u-1: 3 likes\n`);
    expect(formatLiked({ ...result, likes: 1 })).toBe(`liked product ${pen.id} as user u-1: 1 like\n`);
    // 202: recorded, not counted yet.
    expect(formatLiked({ message: 'Like recorded; …', status: 'pending', product_id: pen.id, user_id: 'u-1' }, 'Pen')).toBe(
      `liked 'Pen' (${pen.id}) as user u-1: pending, the dashboard is unreachable; it is counted when it is back\n`,
    );
  });
});

describe('helpers', () => {
  it('plural', () => {
    expect([plural(0, 'like'), plural(1, 'like'), plural(2, 'like')]).toEqual(['0 likes', '1 like', '2 likes']);
  });

  it('printable neutralises terminal escape sequences from the server', () => {
    expect(printable('Pen\u001b[2J\u0007\tx')).toBe('Pen\uFFFD[2J\uFFFD x');
    expect(formatCreated({ ...pen, title: '\u001b]0;owned\u0007' })).not.toContain('\u001b');
  });

  it('jsonOutput passes the document through, newline-terminated', () => {
    expect(jsonOutput('{"id":"1"}')).toBe('{"id":"1"}\n');
    expect(jsonOutput('[]\n')).toBe('[]\n');
  });
});
