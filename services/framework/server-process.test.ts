import { describe, expect, it } from 'vitest';

import { DEFAULT_SERVER_NODE_OPTIONS, serverNodeOptions } from './server-process.js';

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
