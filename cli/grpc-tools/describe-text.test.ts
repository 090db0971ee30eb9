import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

import { describeOne } from './describe-text.js';

const root = protobuf.parse(`
syntax = "proto3";
package t;
message Item { string id = 1; }
message Event {
  int64 seq = 1;
  oneof event { Item created = 2; string deleted = 3; }
  optional string note = 4;
  string user_id = 5;
}`, { keepCase: true }).root;
root.resolveAll();

describe('describe of a message', () => {
  it('shows it as a .proto declares it: a oneof\'s fields grouped, a proto3 optional field marked, JSON names noted', () => {
    expect(describeOne(root.lookupType('t.Event'))).toBe(
      [
        'message t.Event {',
        '  int64 seq = 1;',
        '  oneof event {',
        '    t.Item created = 2;',
        '    string deleted = 3;',
        '  }',
        '  optional string note = 4;',
        '  string user_id = 5; // JSON: userId',
        '}',
        '',
        'message t.Item {',
        '  string id = 1;',
        '}',
      ].join('\n'),
    );
  });
});
