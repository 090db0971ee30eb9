/**
 * What `startservice` generates for a model, in memory: field types (datetime among them)
 * and the generated test's wording.
 */
import { describe, expect, it } from 'vitest';

import { parseModelSpec } from './fields.js';
import { serviceNames } from './names.js';
import { renderService } from './render.js';

const render = (service: string, model: string) =>
  renderService({ service: serviceNames(service), spec: parseModelSpec(model), ports: { rest: 10010, grpc: 10011 }, framework: { kind: 'package', specifier: 'mgrpc/framework' } });

const file = (files: Map<string, string>, ending: string) => [...files].find(([name]) => name.endsWith(ending))?.[1] ?? '';

describe('startservice field types', () => {
  it('takes datetime: a DATE column, a string in the proto, an ISO 8601 date-time in JSON', () => {
    const spec = parseModelSpec('Event:title:string,starts_at:datetime,ends_at:datetime?');
    expect(spec.fields.map((f) => [f.snake, f.type, f.nullable])).toEqual([
      ['title', 'string', false],
      ['starts_at', 'datetime', false],
      ['ends_at', 'datetime', true],
    ]);
    const files = render('events', 'Event:title:string,starts_at:datetime');
    expect(file(files, '.proto')).toMatch(/string starts_at = \d+;/);
    expect(file(files, 'models/event.ts')).toContain('DataTypes.DATE');
    expect(file(files, 'serializers.ts')).toContain('z.iso.datetime');
  });

  it('names datetime among the types when it refuses one', () => {
    expect(() => parseModelSpec('Event:starts_at:timestamp')).toThrow(/use one of .*date, datetime/);
  });
});

describe("the generated test's wording", () => {
  it('says "an order" and "a user", not "a order"', () => {
    expect(file(render('orders', 'Order:title:string'), 'orders.test.ts')).toContain('updates and deletes an order');
    expect(file(render('users', 'User:name:string'), 'users.test.ts')).toContain('updates and deletes a user');
  });
});
