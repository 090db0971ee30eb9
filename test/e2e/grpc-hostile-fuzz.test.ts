/**
 * A seeded fuzz of structurally valid but hostile gRPC messages against every method of both
 * gRPC servers, built from each request type's own fields: repeated fields with thousands to
 * millions of entries, strings of megabytes, groups nested far deeper than any stack,
 * millions of tiny unknown fields, and storms of calls cancelled as they start. After every
 * attack both servers must still answer, with no INTERNAL or UNKNOWN status, and their RSS
 * must come back under 150 MB. The servers run with the heap limit `mgrpc up` gives them.
 *
 * Seeded: MGRPC_FUZZ_SEED=<seed> replays the same attacks (the seed is printed).
 */
import { readFileSync } from 'node:fs';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_SERVER_NODE_OPTIONS } from '../../services/framework/server-process.js';
import { packageDefinition, proto } from '../../services/stubs/index.js';
import { eventually } from '../support/eventually.js';
import { prng } from '../support/prng.js';
import { encode, varint } from '../support/protowire.js';
import { rawCall } from '../support/robustness.js';
import { startSystem, type ProcessName, type RunningSystem } from '../support/system.js';

const SEED = process.env.MGRPC_FUZZ_SEED ? Number(process.env.MGRPC_FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const ROUNDS = 4;
const RSS_BOUND_MB = 150;
/** Under the servers' 4 MiB message limit, with room for framing. */
const MAX_BYTES = 4 * 1024 * 1024 - 1024;
const ACCEPTABLE = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.ALREADY_EXISTS, grpc.status.FAILED_PRECONDITION, grpc.status.RESOURCE_EXHAUSTED, grpc.status.CANCELLED]);

type Random = ReturnType<typeof prng>;

interface Field { number: number; repeated: boolean; type: string; typeName?: string }
type Shape = { name: string; fields: Field[] };

/** A message type's fields, from the stubs' package definition (names resolved in the package). */
function shapeOf(typeName: string, pkg: string): Shape | undefined {
  const defs = packageDefinition as unknown as Record<string, { type?: { field?: { number: number; label: string; type: string; typeName: string }[] } }>;
  const name = [`${pkg}.${typeName}`, typeName].find((n) => defs[n]?.type);
  if (!name) return undefined;
  return { name, fields: defs[name].type!.field!.map((f) => ({ number: f.number, repeated: f.label === 'LABEL_REPEATED', type: f.type, typeName: f.typeName || undefined })) };
}

const tag = (field: number, wireType: number) => varint((field << 3) | wireType);
const len = (field: number, payload: Buffer) => Buffer.concat([tag(field, 2), varint(payload.length), payload]);

/** Enough copies of `entry` to fill about `bytes`, at most `count`. */
function repeat(entry: Buffer, count: number, bytes = MAX_BYTES): Buffer {
  const n = Math.max(1, Math.min(count, Math.floor(bytes / entry.length)));
  return Buffer.concat(Array.from({ length: n }, () => entry));
}

/** The smallest valid value of a field, on the wire. */
function smallest(field: Field): Buffer {
  if (field.type === 'TYPE_MESSAGE' || field.type === 'TYPE_STRING' || field.type === 'TYPE_BYTES') return len(field.number, Buffer.alloc(0));
  return Buffer.concat([tag(field.number, 0), varint(0)]);
}

/** Groups nested `depth` deep under an unknown field number (protobufjs skips them recursively). */
function nestedGroups(depth: number): Buffer {
  return Buffer.concat([repeat(tag(99, 3), depth, MAX_BYTES / 2), repeat(tag(99, 4), depth, MAX_BYTES / 2)]);
}

type Attack = { name: string; bytes: Buffer };

function attacks(r: Random, shape: Shape | undefined): Attack[] {
  const fields = shape?.fields ?? [];
  const out: Attack[] = [];
  for (const field of fields.filter((f) => f.repeated)) {
    const count = r.pick([1_001, 10_001, 100_000, 2_000_000]);
    out.push({ name: `${count} entries of field ${field.number}`, bytes: repeat(smallest(field), count) });
    const inner = field.typeName ? shapeOf(field.typeName, shape!.name.split('.')[0]) : undefined;
    const innerStrings = inner?.fields.filter((f) => f.type === 'TYPE_STRING') ?? [];
    if (innerStrings.length > 0) {
      const entry = len(field.number, Buffer.concat(innerStrings.map((f) => len(f.number, Buffer.from('x'.repeat(r.pick([36, 200, 1000])))))));
      out.push({ name: `full entries of field ${field.number}`, bytes: repeat(entry, 1_000_000) });
    }
  }
  for (const field of fields.filter((f) => f.type === 'TYPE_STRING')) {
    out.push({ name: `a ${r.pick([1, 3])} MB string in field ${field.number}`, bytes: len(field.number, Buffer.alloc(r.pick([1, 3]) * 1024 * 1024, r.pick([0x61, 0x00, 0xff]))) });
  }
  for (const field of fields.filter((f) => f.type === 'TYPE_MESSAGE' && !f.repeated)) {
    const inner = field.typeName ? shapeOf(field.typeName, shape!.name.split('.')[0]) : undefined;
    const innerString = inner?.fields.find((f) => f.type === 'TYPE_STRING');
    if (innerString) out.push({ name: `a 3 MB string inside field ${field.number}`, bytes: len(field.number, len(innerString.number, Buffer.alloc(3 * 1024 * 1024, 0x62))) });
    out.push({ name: `field ${field.number} repeated a million times`, bytes: repeat(len(field.number, Buffer.alloc(0)), 1_000_000) });
  }
  out.push({ name: 'groups nested 500,000 deep', bytes: nestedGroups(500_000) });
  out.push({ name: 'two million unknown varint fields', bytes: repeat(Buffer.concat([tag(15, 0), varint(0)]), 2_000_000) });
  out.push({ name: 'a LEN field claiming more bytes than sent', bytes: Buffer.concat([tag(1, 2), varint(2 ** 31)]) });
  return out;
}

let sys: RunningSystem;

beforeAll(async () => {
  console.log(`grpc hostile fuzz seed: ${SEED} (replay with MGRPC_FUZZ_SEED=${SEED})`);
  sys = await startSystem({ env: { NODE_OPTIONS: DEFAULT_SERVER_NODE_OPTIONS } });
}, 60_000);

afterAll(async () => {
  await sys?.close();
});

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

async function stillWell(name: ProcessName, target: string, what: string): Promise<void> {
  const pid = sys.pid(name);
  expect(pid, `${name} died after ${what}:\n${sys.logs[name].join('').slice(-2000)}`).toBeDefined();
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  try {
    expect((await rawCall(client, '/grpc.health.v1.Health/Check', encode({ 1: '' }))).code, `${name} health after ${what}`).toBe(grpc.status.OK);
  } finally {
    client.close();
  }
  expect(await eventually(async () => rssMb(pid!), (mb) => mb < RSS_BOUND_MB, 20_000), `${name} RSS after ${what}`).toBeLessThan(RSS_BOUND_MB);
}

const SERVICES = [
  { name: 'dashboard_grpc' as const, definitions: () => [proto.product.ProductService.service, proto.user.UserService.service], target: () => sys.dashboardGrpc },
  { name: 'product_grpc' as const, definitions: () => [proto.product_receiver.ProductReceiverService.service], target: () => sys.productGrpc },
];

describe('hostile messages at every gRPC method', () => {
  for (const service of SERVICES) {
    it(`${service.name}: survives every attack on every method, round after round`, { timeout: 300_000 }, async () => {
      const r = prng(SEED ^ service.name.length);
      const connect = () => new grpc.Client(service.target(), grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.use_local_subchannel_pool': 1 });
      for (let round = 0; round < ROUNDS; round++) {
        for (const definition of service.definitions()) {
          for (const method of Object.values(definition)) {
            const request = (method as unknown as { requestType: { type: { name: string } } }).requestType.type.name;
            const pkg = method.path.slice(1).split('.')[0];
            const client = connect();
            try {
              for (const attack of attacks(r, shapeOf(request, pkg))) {
                const what = `${attack.name} at ${method.path} (seed ${SEED}, round ${round})`;
                const answer = await rawCall(client, method.path, attack.bytes, 30_000);
                expect(ACCEPTABLE.has(answer.code), `${what}: ${grpc.status[answer.code]} ${answer.details}\n${sys.logs[service.name].join("").slice(-1500)}`).toBe(true);
              }
            } finally {
              client.close();
            }
            // A storm of calls cancelled as they start, 50 at a time, on a connection of its own:
            // node's HTTP/2 server may end such a connection (rapid-reset protection), and that
            // is the attacker's loss, not the server's.
            const storm = connect();
            for (let wave = 0; wave < 10; wave++) {
              const calls = Array.from({ length: 50 }, () => storm.makeUnaryRequest(method.path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new grpc.Metadata(), {}, () => undefined));
              for (const call of calls) call.cancel();
            }
            storm.close();
            await stillWell(service.name, service.target(), `the attacks at ${method.path} (seed ${SEED}, round ${round})`);
          }
        }
      }
    });
  }
});
