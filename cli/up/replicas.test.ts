import { describe, expect, it } from 'vitest';

import { serviceDatabaseUrl } from './databases.js';
import { parseReplicas, peerTarget, planReplicas } from './replicas.js';

const services = [
  { name: 'dashboard', ports: { rest: 8, grpc: 9 } },
  { name: 'product', ports: { rest: 7, grpc: 6 } },
];

describe('planReplicas', () => {
  it('keeps the tutorial names and ports for one replica', () => {
    expect(planReplicas(services, 10000, 1).map((p) => `${p.name}@${p.port}`)).toEqual([
      'product_grpc@10006',
      'product@10007',
      'dashboard@10008',
      'dashboard_grpc@10009',
    ]);
  });

  it('puts replica r of a process at its port + 10·r, numbered from 1', () => {
    expect(planReplicas(services, 20000, 2).map((p) => `${p.name}@${p.port}`)).toEqual([
      'product_grpc_1@20006',
      'product_grpc_2@20016',
      'product_1@20007',
      'product_2@20017',
      'dashboard_1@20008',
      'dashboard_2@20018',
      'dashboard_grpc_1@20009',
      'dashboard_grpc_2@20019',
    ]);
  });
});

describe('parseReplicas', () => {
  it('accepts 1-8 and refuses anything else with the range', () => {
    expect(parseReplicas('1')).toBe(1);
    expect(parseReplicas('8')).toBe(8);
    for (const bad of ['0', '9', '-1', '1.5', 'two', '', ' 2']) expect(() => parseReplicas(bad), bad).toThrow('expected a whole number of replicas, 1-8');
  });
});

describe('peerTarget', () => {
  it('is host:port for one replica and an address list for several', () => {
    expect(peerTarget('127.0.0.1', [10006])).toBe('127.0.0.1:10006');
    expect(peerTarget('127.0.0.1', [10006, 10016])).toBe('ipv4:127.0.0.1:10006,127.0.0.1:10016');
    expect(peerTarget('::1', [10006, 10016])).toBe('ipv6:[::1]:10006,[::1]:10016');
    expect(peerTarget('localhost', [10006])).toBe('localhost:10006');
    expect(() => peerTarget('localhost', [10006, 10016])).toThrow("with --replicas, --host must be an IP address (not 'localhost')");
  });
});

describe('serviceDatabaseUrl', () => {
  it('names one database per service on the server, keeping credentials and options', () => {
    expect(serviceDatabaseUrl('postgres://mgrpc:secret@db:5432/', 'dashboard')).toBe('postgres://mgrpc:secret@db:5432/mgrpc_dashboard');
    expect(serviceDatabaseUrl('postgresql://u@h:5433?sslmode=require', 'my-shop')).toBe('postgresql://u@h:5433/mgrpc_my_shop?sslmode=require');
  });

  it('refuses a database name, another scheme and a malformed URL, saying what to give', () => {
    expect(() => serviceDatabaseUrl('postgres://u@h:5432/app', 'product')).toThrow('--database takes the server, not a database (app)');
    expect(() => serviceDatabaseUrl('sqlite:data/x.sqlite3', 'product')).toThrow('--database expects a postgres:// server URL');
    expect(() => serviceDatabaseUrl('not a url', 'product')).toThrow('--database expects a PostgreSQL server URL such as postgres://USER:PASSWORD@HOST:5432/');
  });
});
