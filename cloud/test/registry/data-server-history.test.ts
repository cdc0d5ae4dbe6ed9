// The data-server history (src/registry/data-server-history.ts): the DataServerRegistry's period
// semantics — key at a time through rotation and revocation, PoD grants with their own history.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataServerHistory } from '../../src/registry/data-server-history.js';

const K1 = '0x00000000000000000000000000000000000000a1';
const K2 = '0x00000000000000000000000000000000000000a2';
const P = 'IT001E00000001';

function history(): DataServerHistory {
  const h = new DataServerHistory();
  h.apply({ kind: 'registered', serverId: 'ds', key: K1, atMs: 1000 });
  h.apply({ kind: 'podsAllowed', serverId: 'ds', pods: [P], atMs: 1500 });
  h.apply({ kind: 'rotated', serverId: 'ds', oldKey: K1, newKey: K2, atMs: 2000 });
  h.apply({ kind: 'podsRemoved', serverId: 'ds', pods: [P], atMs: 2500 });
  h.apply({ kind: 'revoked', serverId: 'ds', key: K2, atMs: 3000 });
  return h;
}

test('the key at a time: before registration unknown, rotation splits at its instant, revocation closes', () => {
  const h = history();
  assert.is(h.checkKey('ds', K1, 999), 'BAL_DATA_SERVER_UNKNOWN');
  assert.is(h.checkKey('other', K1, 1500), 'BAL_DATA_SERVER_UNKNOWN');
  assert.is(h.checkKey('ds', K1, 1999), null);
  assert.is(h.checkKey('ds', K1, 2000), 'BAL_CIM_SIGNATURE_INVALID', 'the old key after the rotation');
  assert.is(h.checkKey('ds', K2, 2000), null);
  assert.is(h.checkKey('ds', K2, 2999), null);
  assert.is(h.checkKey('ds', K2, 3000), 'BAL_DATA_SERVER_REVOKED');
  assert.is(h.keyAt('ds', 1500), K1);
  assert.is(h.keyAt('ds', 3000), null);
});

test('PoD grants have their own periods; re-registration and re-grant open new ones', () => {
  const h = history();
  assert.not.ok(h.maySpeakFor('ds', P, 1499));
  assert.ok(h.maySpeakFor('ds', P, 1500));
  assert.ok(h.maySpeakFor('ds', P, 2499));
  assert.not.ok(h.maySpeakFor('ds', P, 2500));
  assert.not.ok(h.maySpeakFor('ds', 'IT001E00000002', 2000));
  h.apply({ kind: 'registered', serverId: 'ds', key: K1, atMs: 4000 });
  h.apply({ kind: 'podsAllowed', serverId: 'ds', pods: [P], atMs: 4000 });
  assert.is(h.checkKey('ds', K1, 4000), null);
  assert.is(h.checkKey('ds', K2, 3500), 'BAL_DATA_SERVER_REVOKED', 'the gap stays revoked');
  assert.ok(h.maySpeakFor('ds', P, 4000));
  assert.not.ok(h.maySpeakFor('ds', P, 3500));
});

test.run();
