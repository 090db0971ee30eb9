import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { DEFAULT_MALLOC_ARENA_MAX, DEFAULT_SERVER_NODE_OPTIONS, DEFAULT_GRPC_SERVER_V8_FLAGS, ephemeralStart, freePort, heapSettingsProblem, serverNodeFlags, serverProcessEnv, youngGenerationProblem, serverNodeOptions, testPortRange, workerPortRange } from './server-process.js';

describe('serverNodeOptions', () => {
  it('bounds the heap by default, after the caller’s own NODE_OPTIONS', () => {
    expect(serverNodeOptions({})).toBe(DEFAULT_SERVER_NODE_OPTIONS);
    expect(serverNodeOptions({ NODE_OPTIONS: '--enable-source-maps' })).toBe(`--enable-source-maps ${DEFAULT_SERVER_NODE_OPTIONS}`);
  });

  it('takes MGRPC_SERVER_NODE_OPTIONS instead, and nothing when it is empty', () => {
    expect(serverNodeOptions({ MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=512' })).toBe('--max-old-space-size=512');
    expect(serverNodeOptions({ MGRPC_SERVER_NODE_OPTIONS: '', NODE_OPTIONS: '--trace-warnings' })).toBe('--trace-warnings');
    expect(serverNodeOptions({ MGRPC_SERVER_NODE_OPTIONS: '' })).toBe('');
  });
});

describe('serverProcessEnv', () => {
  it('gives a server child the heap settings and two malloc arenas, keeping what the caller set', () => {
    expect(serverProcessEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', NODE_OPTIONS: DEFAULT_SERVER_NODE_OPTIONS, MALLOC_ARENA_MAX: DEFAULT_MALLOC_ARENA_MAX });
    expect(serverProcessEnv({ MALLOC_ARENA_MAX: '8', MGRPC_SERVER_NODE_OPTIONS: '' })).toEqual({ MALLOC_ARENA_MAX: '8', MGRPC_SERVER_NODE_OPTIONS: '', NODE_OPTIONS: '' });
    expect(serverProcessEnv({ MALLOC_ARENA_MAX: '' }).MALLOC_ARENA_MAX).toBe(DEFAULT_MALLOC_ARENA_MAX);
  });
});

describe('serverNodeFlags', () => {
  it('adds the heap growing factor to a gRPC server with the default heap settings; none to a REST server, none when MGRPC_SERVER_NODE_OPTIONS replaces them', () => {
    expect(serverNodeFlags({}, 'grpc')).toEqual([...DEFAULT_GRPC_SERVER_V8_FLAGS]);
    expect(serverNodeFlags({ NODE_OPTIONS: '--enable-source-maps' }, 'grpc')).toEqual([...DEFAULT_GRPC_SERVER_V8_FLAGS]);
    expect(serverNodeFlags({}, 'rest')).toEqual([]);
    expect(serverNodeFlags({ MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=512' }, 'grpc')).toEqual([]);
    expect(serverNodeFlags({ MGRPC_SERVER_NODE_OPTIONS: '' }, 'grpc')).toEqual([]);
  });

  it('are flags this node accepts on its command line, with the default NODE_OPTIONS', () => {
    const run = spawnSync(process.execPath, [...serverNodeFlags({}, 'grpc'), '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], {
      env: { ...process.env, NODE_OPTIONS: serverNodeOptions({}) },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(expect.arrayContaining([...DEFAULT_GRPC_SERVER_V8_FLAGS]));
  });
});

describe('the compose file', () => {
  // It spells the servers' V8 settings out (a compose file cannot call serverNodeFlags): they must stay the same.
  const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
  const commands = [...compose.matchAll(/command: \[(.*)\]/g)].map((match) => JSON.parse(`[${match[1]}]`) as string[]);

  it('runs each gRPC server with the heap growing factor and each REST server without it, as mgrpc up does', () => {
    const servers = commands.filter((command) => command.includes('grpcrunserver') || command.includes('runserver'));
    expect(servers.length).toBeGreaterThanOrEqual(4);
    for (const command of servers) {
      const flags = command.slice(1, command.indexOf('dist/bin/mgrpc.js'));
      expect(flags).toEqual(serverNodeFlags({}, command.includes('grpcrunserver') ? 'grpc' : 'rest'));
    }
  });

  it('defaults NODE_OPTIONS to the servers\' default heap settings, and malloc\'s arenas to the servers\' default', () => {
    expect(compose).toContain(`NODE_OPTIONS: \${MGRPC_SERVER_NODE_OPTIONS:-${DEFAULT_SERVER_NODE_OPTIONS}}`);
    expect(compose).toContain(`MALLOC_ARENA_MAX: \${MALLOC_ARENA_MAX:-${DEFAULT_MALLOC_ARENA_MAX}}`);
  });
});

describe('testPortRange', () => {
  it('is MGRPC_TEST_PORTS when set, and refuses a malformed or too narrow range with the fix', () => {
    expect(testPortRange({ MGRPC_TEST_PORTS: '20000-20999' })).toEqual({ first: 20000, last: 20999 });
    expect(testPortRange({ MGRPC_TEST_PORTS: ' 41000 - 41019 ' })).toEqual({ first: 41000, last: 41019 });
    for (const bad of ['20000', '20000-20005', '80-2000', '60000-70000', 'a-b']) {
      expect(() => testPortRange({ MGRPC_TEST_PORTS: bad })).toThrow(/MGRPC_TEST_PORTS='.*' is not a range of at least 20 ports like 20000-20999/);
    }
  });

  it('by default ends just below the OS ephemeral range, read from ip_local_port_range', () => {
    expect(testPortRange({}, () => 32768)).toEqual({ first: 20000, last: 32767 });
    expect(testPortRange({}, () => 49152)).toEqual({ first: 20000, last: 49151 });
    expect(() => testPortRange({}, () => 15000)).toThrow(/set MGRPC_TEST_PORTS/);
    expect(ephemeralStart(() => '32768\t60999\n')).toBe(32768);
    expect(ephemeralStart(() => '40000 60999')).toBe(40000);
    expect(ephemeralStart(() => { throw new Error('no /proc'); })).toBe(32768);
  });

  it('each test worker takes a part of its own, when the range is wide enough to cut', () => {
    const wide = { MGRPC_TEST_PORTS: '20000-32767' };
    const parts = ['1', '2', '3', '4'].map((id) => workerPortRange({ ...wide, VITEST_POOL_ID: id }));
    expect(parts).toEqual([
      { first: 20000, last: 23191 },
      { first: 23192, last: 26383 },
      { first: 26384, last: 29575 },
      { first: 29576, last: 32767 },
    ]);
    expect(workerPortRange({ ...wide, VITEST_POOL_ID: '5' })).toEqual(parts[0]);
    expect(workerPortRange(wide)).toEqual({ first: 20000, last: 32767 });
    // Too narrow to cut (the replicas test needs 1,020 ports together): the whole range.
    expect(workerPortRange({ MGRPC_TEST_PORTS: '20000-21999', VITEST_POOL_ID: '2' })).toEqual({ first: 20000, last: 21999 });
  });

  it('freePort gives ports inside the range in effect', async () => {
    const { first, last } = workerPortRange();
    for (let i = 0; i < 5; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(first);
      expect(port).toBeLessThanOrEqual(last);
    }
  });
});

describe('heapSettingsProblem', () => {
  // Asks this node, as the servers' heap settings would run on it (V8 reports its heap limit).
  it('finds nothing wrong with our defaults (asked of this node), with none, or with a young generation below the cap', () => {
    expect(youngGenerationProblem(DEFAULT_SERVER_NODE_OPTIONS)).toBeUndefined();
    expect(heapSettingsProblem({})).toBeUndefined();
    // The caller's own cap comes before ours, and ours is the one V8 keeps.
    expect(heapSettingsProblem({ NODE_OPTIONS: '--max-old-space-size=16' })).toBeUndefined();
    expect(heapSettingsProblem({ MGRPC_SERVER_NODE_OPTIONS: '' })).toBeUndefined();
    expect(heapSettingsProblem({ MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=2048' })).toBeUndefined();
    expect(heapSettingsProblem({ MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=16 --max-semi-space-size=4' })).toBeUndefined();
  });

  it('names an old-generation cap below the young generation, whether V8 sizes that itself or is told to, with the node it was asked of', () => {
    // 16 MB is below the young generation of every supported node (48 MB on Node 20 and 22, 192 MB on 24).
    const problem = heapSettingsProblem({ MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=16' });
    expect(problem).toMatch(/cap the old generation at 16 MB, below the \d+ MB their young generation may reach on node v\d+/);
    expect(problem).toContain(`node ${process.version}`);
    expect(problem).toContain('--max-semi-space-size=N');
    // A semi-space cap that still leaves the young generation (3 x 8 = 24 MB) above the old one.
    expect(heapSettingsProblem({ MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=16 --max-semi-space-size=8' })).toMatch(/at 16 MB, below the 24 MB/);
    // The caller's own NODE_OPTIONS come first; the last cap is the one V8 keeps.
    expect(heapSettingsProblem({ NODE_OPTIONS: '--max-old-space-size=16', MGRPC_SERVER_NODE_OPTIONS: '--max-old-space-size=4096' })).toBeUndefined();
  });
});
