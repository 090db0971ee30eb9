/**
 * The __name__ service end to end, in-process: its gRPC server and REST app on loopback
 * ports, over a migrated SQLite file in a temp dir; every CRUD action over both transports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createClient, serve, type PromiseClient, type RunningService } from '__framework__';
import { proto } from '__stubs__';
import service from './index.js';

/** __A_model_words__ as REST sends and shows it (snake_case), and the values an update sets. */
const sample: Record<string, unknown> = __SAMPLE_JSON__;
const changed: Record<string, unknown> = __CHANGED_JSON__;
/** The same values as gRPC messages carry them (camelCase; int64 as a decimal string). */
const sampleMessage: Record<string, unknown> = __SAMPLE_MESSAGE__;
const changedMessage: Record<string, unknown> = __CHANGED_MESSAGE__;

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

let dir: string;
let grpcServer: RunningService;
let restServer: RunningService;
let client: PromiseClient<typeof proto.__snake__.__Model__Service.service>;

async function rest(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${restServer.url}/api${urlPath}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-__name__-'));
  const env = { MGRPC_DATA_DIR: dir, LOG_LEVEL: 'warn' };
  const address = { host: '127.0.0.1', port: 0 };
  grpcServer = await serve(service, 'grpc', { address, env, migrate: true, drainMs: 1000 });
  restServer = await serve(service, 'rest', { address, env, migrate: true, drainMs: 1000 });
  client = createClient(proto.__snake__.__Model__Service.service, grpcServer.url, { name: '__name__ gRPC', deadlineMs: 5000 });
});

afterAll(async () => {
  client?.close();
  await restServer?.close();
  await grpcServer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('__name__ over REST', () => {
  it('creates, lists, retrieves, updates and deletes __a_model_words__', async () => {
    const created = await rest('POST', '/__models_path__', sample);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(sample);
    const id: string = created.body.id;

    const list = await rest('GET', '/__models_path__');
    expect(list.status).toBe(200);
    expect(list.body.map((item: { id: string }) => item.id)).toContain(id);

    expect(await rest('GET', `/__models_path__/${id}`)).toMatchObject({ status: 200, body: { id, ...sample } });

    const updated = await rest('PUT', `/__models_path__/${id}`, changed);
    expect(updated).toMatchObject({ status: 200, body: { id, ...changed } });

    const patched = await rest('PATCH', `/__models_path__/${id}`, { __FIRST_FIELD__: sample.__FIRST_FIELD__ });
    expect(patched).toMatchObject({ status: 200, body: { id, ...changed, __FIRST_FIELD__: sample.__FIRST_FIELD__ } });

    expect((await rest('DELETE', `/__models_path__/${id}`)).status).toBe(204);
    expect((await rest('GET', `/__models_path__/${id}`)).status).toBe(404);
  });

  it('lists a page at a time, filtered and ordered', async () => {
    const first = (await rest('POST', '/__models_path__', sample)).body.id;
    const second = (await rest('POST', '/__models_path__', changed)).body.id;
    const page = await rest('GET', '/__models_path__?ordering=-created_at&page=1&page_size=1');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ previous: null, results: [expect.anything()] });
    expect(page.body.count).toBeGreaterThanOrEqual(2);
    const next = await rest('GET', new URL(page.body.next).pathname.slice('/api'.length) + new URL(page.body.next).search);
    expect(next.body.results[0].id).not.toBe(page.body.results[0].id);
    const filtered = await rest('GET', `/__models_path__?__FIRST_FIELD__=${encodeURIComponent(String(changed.__FIRST_FIELD__))}`);
    expect(filtered.body.map((item: { id: string }) => item.id)).toContain(second);
    expect(filtered.body.map((item: { id: string }) => item.id)).not.toContain(first);
    expect((await rest('GET', '/__models_path__?ordering=nope')).status).toBe(400);
  });

  it('refuses bad input with 400 and names the field', async () => {
    const res = await rest('POST', '/__models_path__', { ...sample, id: MISSING_ID });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('id');
    expect((await rest('GET', '/__models_path__/not-a-uuid')).status).toBe(400);
  });
});

describe('__name__ over gRPC', () => {
  it('creates, lists, retrieves, updates and deletes __a_model_words__', async () => {
    const created = await client.Create(sampleMessage as never);
    expect(created).toMatchObject(sampleMessage);
    const id = created.id;

    const list = await client.List({ limit: 100, offset: 0 });
    expect(list.items.map((item) => item.id)).toContain(id);

    expect(await client.Retrieve({ id })).toMatchObject({ id, ...sampleMessage });
    expect(await client.Update({ ...changedMessage, id } as never)).toMatchObject({ id, ...changedMessage });

    await client.Destroy({ id });
    await expect(client.Retrieve({ id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists a page at a time by token', async () => {
    for (const message of [sampleMessage, changedMessage]) await client.Create(message as never);
    const first = await client.List({ pageSize: 1, orderBy: 'created_at desc' });
    expect(first.items).toHaveLength(1);
    expect(first.totalSize).toBeGreaterThanOrEqual(2);
    const second = await client.List({ pageSize: 1, orderBy: 'created_at desc', pageToken: first.nextPageToken });
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    await expect(client.List({ pageSize: 1, pageToken: first.nextPageToken })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('Watch__Models__ sends a snapshot, a ready marker, then each change as it is committed', async () => {
    const raw = new proto.__snake__.__Model__Service(grpcServer.url, grpc.credentials.createInsecure());
    const call = raw.Watch__Models__({});
    const events: { event?: string; seq: string; created?: { id: string } | null }[] = [];
    let check = () => {};
    call.on('data', (message) => {
      events.push(message);
      check();
    });
    const seen = (holds: () => boolean) => new Promise<void>((resolve) => (check = () => holds() && resolve())).then(() => (check = () => {}));
    const ready = seen(() => events.some((e) => e.event === 'ready'));
    check();
    await ready;
    const created = await client.Create(sampleMessage as never);
    const live = seen(() => events.some((e) => e.created?.id === created.id));
    check();
    await live;
    expect(Number(events.at(-1)!.seq)).toBeGreaterThan(0);
    call.on('error', () => {}); // the cancel below
    call.cancel();
    raw.close();
  });

  it('answers NOT_FOUND and INVALID_ARGUMENT for bad lookups', async () => {
    await expect(client.Retrieve({ id: MISSING_ID })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.Destroy({ id: 'not-a-uuid' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
