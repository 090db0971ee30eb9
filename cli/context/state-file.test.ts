import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { projectRoot, readUpState, removeUpState, statePath, writeUpState, type UpState } from './state-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const state = (pid: number): UpState => ({
  version: 1,
  pid,
  startedAt: new Date(2026, 11, 6, 19, 50, 1).toISOString(),
  host: '127.0.0.1',
  reachable: '127.0.0.1',
  basePort: 41000,
  replicas: 1,
  dataDir: '/tmp/data',
  databases: {},
  processes: [{ name: 'dashboard', service: 'dashboard', side: 'rest', address: '127.0.0.1:41008' }],
  services: { dashboard: { rest: ['http://127.0.0.1:41008'], grpc: '127.0.0.1:41009' } },
});

describe('the state file of `mgrpc up`', () => {
  it('lives in the nearest directory with a package.json, else the working directory', () => {
    const project = path.join(dir, 'shop');
    mkdirSync(path.join(project, 'services/orders'), { recursive: true });
    writeFileSync(path.join(project, 'package.json'), '{"name":"shop"}');
    expect(projectRoot(path.join(project, 'services/orders'))).toBe(project);
    expect(statePath(projectRoot(path.join(project, 'services')))).toBe(path.join(project, '.mgrpc/state.json'));
    expect(projectRoot(path.join(dir, 'loose'))).toBe(path.join(dir, 'loose'));
  });

  it('is read while its up runs, ignored with a note when not, and removed only by the up that wrote it', () => {
    const root = path.join(dir, 'p1');
    mkdirSync(root);
    const file = statePath(root);
    expect(readUpState(root)).toEqual({ file });

    writeUpState(state(process.pid), file);
    expect(readUpState(root).state?.services.dashboard?.rest).toEqual(['http://127.0.0.1:41008']);
    removeUpState(process.pid + 1, file);
    expect(readUpState(root).state).toBeDefined();

    writeUpState(state(2 ** 22 + 12345), file);
    expect(readUpState(root)).toEqual({
      file,
      note: `ignoring ${file}: the \`mgrpc up\` that wrote it (pid ${2 ** 22 + 12345}, started 2026-12-06 19:50:01) is not running`,
    });

    writeFileSync(file, '{"version": 7}');
    expect(readUpState(root).note).toMatch(/^ignoring .*: not a state file of this mgrpc \(unexpected shape\); delete it$/);

    writeUpState(state(process.pid), file);
    removeUpState(process.pid, file);
    expect(readUpState(root)).toEqual({ file });
  });
});
