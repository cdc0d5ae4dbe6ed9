// The client-id rule (src/broker/client-id.ts, issue 17): a table of who may present which id.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientIdAllowed, suffixedClientId, type ClientIdAccount } from '../../src/broker/client-id.js';

const CASES: [ClientIdAccount, string, string, boolean][] = [
  ['device', 'IT001E00000001', 'IT001E00000001', true],
  ['device', 'IT001E00000001', 'ln-IT001E00000001', false], // the agent's old default
  ['device', 'IT001E00000001', 'IT001E00000001@x', false], // one connection per device
  ['device', 'IT001E00000001', 'IT001E000000012', false], // a longer PoD code is another device
  ['device', 'IT001E00000001', 'bal.internal', false],
  ['device', 'IT001E00000001', 'bal@1', false],
  ['device', 'IT001E00000001', '', false],
  ['data', 'dso-tp', 'dso-tp', true],
  ['data', 'dso-tp', 'dso-tp@laptop', false],
  ['data', 'dso', 'dso-tp', false], // a username that is a prefix of another's
  ['bal', 'bal', 'bal', true],
  ['bal', 'bal', 'bal@ingest-1', true],
  ['bal', 'bal', 'bal@', false],
  ['bal', 'bal', 'bal@a/b', false],
  ['bal', 'bal', `bal@${'x'.repeat(65)}`, false],
  ['bal', 'bal', 'bal-1', false], // `bal-1` could be a data user's username
  ['bal', 'bal', 'balance@1', false],
  ['operator', 'dso-ops', 'dso-ops@operator-42', true],
  ['operator', 'dso-ops', 'IT001E00000001', false],
];

test('who may present which client id', () => {
  for (const [kind, username, id, ok] of CASES) assert.is(clientIdAllowed(kind, username, id), ok, `${kind} ${username} as "${id}"`);
});

test('suffixed ids are allowed to their account only', () => {
  const id = suffixedClientId('bal', 1234);
  assert.is(id, 'bal@1234');
  assert.ok(clientIdAllowed('bal', 'bal', id));
  assert.not.ok(clientIdAllowed('operator', 'dso-ops', id));
});

test.run();
