/**
 * Admin forms from a serializer: the input each schema gets (by what it accepts) and how posted
 * strings become the JSON the API validates, for the field types `mgrpc startservice` writes;
 * and what a browser reads back from the rendered form.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { launchBrowser } from '../../../test/support/browser.js';
import { ModelSerializer } from '../index.js';
import { formFields, formToJSON } from './form.js';
import { html } from './html.js';
import { objectPage } from './pages/object-page.js';

const serializer = new ModelSerializer<any>({
  fields: ['id', 'title', 'note', 'quantity', 'price', 'paid', 'dueAt', 'createdAt'],
  readOnly: ['id', 'createdAt'],
  schema: z.object({
    title: z.string().trim().min(1, 'must not be empty').max(255),
    note: z.string().max(65535).nullable().optional(),
    quantity: z.int('must be a whole number'),
    price: z.number().optional(),
    paid: z.boolean(),
    dueAt: z.iso.datetime().nullable().optional(),
  }),
});

describe('formFields', () => {
  it('gives each writable field its input, in the serializer\'s order', () => {
    expect(formFields(serializer).map((f) => [f.name, f.kind, f.required, f.nullable, f.maxLength])).toEqual([
      ['title', 'text', true, false, 255],
      ['note', 'textarea', false, true, 65535],
      ['quantity', 'number', true, false, undefined],
      ['price', 'number', false, false, undefined],
      ['paid', 'checkbox', true, false, undefined],
      ['due_at', 'text', false, true, undefined],
    ]);
  });
});

describe('formToJSON', () => {
  const fields = formFields(serializer);

  it('converts numbers and checkboxes, drops empty optional values and keeps empty nullable ones', () => {
    expect(formToJSON(fields, { title: 'Pen', note: '', quantity: ' 3 ', price: '', paid: 'on', due_at: '' })).toEqual({
      title: 'Pen',
      note: '',
      quantity: 3,
      paid: true,
      due_at: '',
    });
    expect(formToJSON(fields, { title: 'Pen', quantity: '1.5e2', price: '-0.5' })).toEqual({ title: 'Pen', quantity: 150, price: -0.5, paid: false });
  });

  it("keeps a textarea's line breaks as LF, however the browser sent them", () => {
    expect(formToJSON(fields, { title: 'Pen', note: 'one\r\ntwo\rthree\nfour', quantity: '1' }).note).toBe('one\ntwo\nthree\nfour');
    expect(formToJSON(fields, { title: 'a\r\nb', quantity: '1' }).title).toBe('a\r\nb');
  });

  it('passes what does not convert to the schema, whose message the form then shows', () => {
    const json = formToJSON(fields, { title: 'Pen', quantity: 'three', paid: 'on' });
    expect(json.quantity).toBe('three');
    expect(() => serializer.parseJSON(json, 'create')).toThrow('quantity: must be a whole number');
    expect(formToJSON(fields, { title: ['a', 'b'] as unknown as string }).title).toEqual(['a', 'b']);
  });
});

describe('html', () => {
  it('escapes every value and only nests what html made', () => {
    const title = '<img src=x onerror="alert(1)">&\'';
    expect(html`<td title="${title}">${title}</td>`.text).toBe('<td title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;</td>');
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.text).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
  });
});

describe('the object form in a browser', () => {
  it('gives a textarea back exactly, a leading line break included', async () => {
    const note = '\nsecond line\n';
    const form = formFields(serializer);
    const page = objectPage({ slug: 'things', label: 'Thing', json: {}, readOnlyFields: [], form, values: { title: 'Pen', note }, extra: [], canDelete: false, csrf: 'x' });
    const browser = await launchBrowser();
    try {
      const tab = await browser.newPage();
      await tab.setContent(String(page));
      expect(await tab.inputValue('#field-note')).toBe(note);
      expect(await tab.inputValue('#field-title')).toBe('Pen');
    } finally {
      await browser.close();
    }
  });
});
