/**
 * What `startservice` generates for a model, in memory: field types (datetime among them)
 * the generated test's wording, and where the built sqlite3 is left for `npm install`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { parseModelSpec } from './fields.js';
import { serviceNames } from './names.js';
import { renderService } from './render.js';
import { cachedPrebuildPath, sqlitePrebuildUrl } from './sqlite-prebuild.js';

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

  it('takes bigint up to 2^53 - 1, and names the limit for a larger whole number', () => {
    const serializer = file(render('events', 'Event:title:string,big:bigint'), 'serializers.ts');
    const helper = /const wholeNumber[\s\S]*?;\n/.exec(serializer)?.[0] ?? '';
    const js = ts.transpileModule(`${helper}\nreturn wholeNumber;`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
    const wholeNumber = new Function('z', js)(z) as (o: { error: string }) => z.ZodType;
    const big = wholeNumber({ error: 'must be a whole number' });
    const check = (value: unknown) => {
      const got = big.safeParse(value);
      return got.success ? got.data : got.error.issues[0]?.message;
    };
    expect(check('9007199254740991')).toBe(9007199254740991);
    expect(check(-12)).toBe(-12);
    expect(check('9007199254740993')).toBe('must be at most 9007199254740991');
    expect(check(-9007199254740993)).toBe('must be at least -9007199254740991');
    expect(check(1.5)).toBe('must be a whole number');
    expect(check('1e3')).toBe('must be a whole number');
  });

  it('declares text fields multiline (line breaks allowed), string fields not', () => {
    expect(file(render('notes', 'Note:title:string,body:text,extra:text?'), 'serializers.ts')).toContain("multiline: ['body', 'extra'],");
    expect(file(render('notes', 'Note:title:string'), 'serializers.ts')).not.toContain('multiline');
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

describe('reusing the built sqlite3', () => {
  it("names the cache entry and URL exactly as sqlite3's own prebuild-install looks them up", () => {
    const require = createRequire(import.meta.url);
    const sqlite3 = require('sqlite3/package.json') as { version: string };
    const util = require(require.resolve('prebuild-install/util', { paths: [path.dirname(require.resolve('sqlite3/package.json'))] })) as { cachedPrebuild: (url: string) => string };
    const url = sqlitePrebuildUrl(sqlite3.version, 6);
    expect(url).toBe(`https://github.com/TryGhost/node-sqlite3/releases/download/v${sqlite3.version}/sqlite3-v${sqlite3.version}-napi-v6-${process.platform}-${process.arch}.tar.gz`);
    const saved = process.env.npm_config_cache;
    process.env.npm_config_cache = '/tmp/some-npm-cache';
    try {
      expect(cachedPrebuildPath('/tmp/some-npm-cache', url)).toBe(util.cachedPrebuild(url));
    } finally {
      if (saved === undefined) delete process.env.npm_config_cache;
      else process.env.npm_config_cache = saved;
    }
  });
});
