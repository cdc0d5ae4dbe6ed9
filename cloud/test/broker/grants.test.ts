// The data users' grant table (grants.ts): who may subscribe to and receive which certified stream.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { certifiedTopic } from '@lightnode/shared/topics';
import { ADMIN_DATA_FILTER, GrantTable, dataMayReceive, dataMaySubscribe, grantTopics } from '../../src/broker/grants.js';

const A = certifiedTopic('IT001E00000001');
const B = certifiedTopic('IT001E00000002');

test('subscribe and receive, per role', () => {
  const mine = new Set([A]);
  // [role, filter, may subscribe]
  const subs: ['admin' | 'producer' | 'consumer', string, boolean][] = [
    ['consumer', A, true], ['consumer', B, false], ['consumer', 'certified/#', false], ['consumer', 'certified/v1/+/readings', false],
    ['consumer', 'certified/v1/IT001E00000001/#', false], ['consumer', '#', false], ['consumer', `$share/g/${A}`, false], ['consumer', 'ln/v1/IT001E00000001/readings', false],
    ['producer', A, true], ['producer', B, false], ['producer', 'certified/v1/+/readings', false],
    ['admin', 'certified/#', true], ['admin', 'certified/v1/+/readings', true], ['admin', B, true], ['admin', '#', false], ['admin', 'ln/v1/#', false], ['admin', '$SYS/#', false],
  ];
  for (const [role, f, want] of subs) assert.is(dataMaySubscribe(role, mine, f), want, `${role} subscribe ${f}`);
  const recv: ['admin' | 'producer' | 'consumer', string, boolean][] = [
    ['consumer', A, true], ['consumer', B, false], ['consumer', 'certified/v1/IT001E00000001/readings/x', false], ['producer', A, true],
    ['admin', B, true], ['admin', 'ln/v1/IT001E00000001/readings', false], ['admin', '$SYS/broker/uptime', false],
  ];
  for (const [role, t, want] of recv) assert.is(dataMayReceive(role, mine, t), want, `${role} receive ${t}`);
  assert.is(ADMIN_DATA_FILTER, 'certified/#');
});

test('a grant of a stream covers its delivery formats (JSON, cim-xml, cim-json) and nothing else', () => {
  const mine = new Set([A]);
  assert.equal(grantTopics(A), [A, `${A}/cim-xml`, `${A}/cim-json`]);
  for (const role of ['consumer', 'producer'] as const) {
    for (const [t, want] of [[`${A}/cim-xml`, true], [`${A}/cim-json`, true], [`${B}/cim-xml`, false], [`${A}/json`, false], [`${A}/cim`, false], [`${A}/+`, false], [`${A}/#`, false], [`$share/g/${A}/cim-xml`, false]] as const) {
      assert.is(dataMaySubscribe(role, mine, t), want, `${role} subscribe ${t}`);
      if (!t.includes('+') && !t.includes('#') && !t.startsWith('$')) assert.is(dataMayReceive(role, mine, t), want, `${role} receive ${t}`);
    }
    assert.not.ok(dataMaySubscribe(role, new Set(), `${A}/cim-xml`), 'no grant, no CIM either');
  }
  assert.ok(dataMaySubscribe('admin', new Set(), `${B}/cim-json`));
  assert.throws(() => grantTopics(`${A}/cim-xml`), (e: unknown) => isLightNodeError(e, 'BAL_BROKER_GRANT_INVALID'), 'grants name streams, not formats');
  assert.throws(() => new GrantTable().grant('carol', `${A}/cim-xml`), (e: unknown) => isLightNodeError(e, 'BAL_BROKER_GRANT_INVALID'));
});

test('grant, revoke, replaceAll report what changed', () => {
  const g = new GrantTable();
  assert.ok(g.grant('carol', A));
  assert.not.ok(g.grant('carol', A), 'twice');
  assert.ok(g.grant('carol', B));
  assert.ok(g.grant('paul', B));
  assert.equal([...g.topicsOf('carol')], [A, B]);
  assert.equal([...g.topicsOf('nobody')], []);
  assert.ok(g.revoke('carol', A));
  assert.not.ok(g.revoke('carol', A), 'already revoked');
  assert.not.ok(g.has('carol', A));
  const { added, removed } = g.replaceAll([{ username: 'carol', topic: B }, { username: 'dave', topic: A }]);
  assert.equal(added, [{ username: 'dave', topic: A }]);
  assert.equal(removed, [{ username: 'paul', topic: B }]);
  assert.equal(g.list(), [{ username: 'carol', topic: B }, { username: 'dave', topic: A }]);
});

test('invalid usernames and topics are refused; a bad entry leaves the table unchanged', () => {
  const g = new GrantTable();
  g.grant('carol', A);
  for (const [u, t] of [['carol', 'certified/#'], ['carol', 'certified/v1/+/readings'], ['carol', 'ln/v1/IT001E00000001/readings'], ['car/ol', A], ['c+', A], ['', A]]) {
    try { g.grant(u!, t!); assert.unreachable(`${u} ${t}`); } catch (e) { assert.ok(isLightNodeError(e, 'BAL_BROKER_GRANT_INVALID'), `${u} ${t}`); }
  }
  try { g.replaceAll([{ username: 'x', topic: B }, { username: 'y', topic: '#' }]); assert.unreachable(); } catch (e) { assert.ok(isLightNodeError(e, 'BAL_BROKER_GRANT_INVALID')); }
  assert.equal(g.list(), [{ username: 'carol', topic: A }]);
});

test.run();
