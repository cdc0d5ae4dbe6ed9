import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filterCoveredBy, mayPublish, maySubscribe, topicMatches } from '../../src/broker/acl.js';

const A = 'IT001E00000001';
const B = 'IT001E00000002';

test('topicMatches follows MQTT wildcard rules', () => {
  const cases: [string, string, boolean][] = [
    ['a/b/c', 'a/b/c', true], ['a/+/c', 'a/x/c', true], ['a/+/c', 'a/x/y', false], ['a/#', 'a', true],
    ['a/#', 'a/b/c', true], ['+/b', 'a/b', true], ['a/b', 'a/b/c', false], ['#', '$SYS/x', false], ['a/+', 'a/', true],
  ];
  for (const [p, t, want] of cases) assert.is(topicMatches(p, t), want, `${p} vs ${t}`);
});

test('filterCoveredBy: a subscription filter is allowed only inside the pattern', () => {
  const cases: [string, string, boolean][] = [
    ['ln/v1/X/ack', 'ln/v1/X/ack', true], ['ln/v1/+/ack', 'ln/v1/X/ack', false], ['ln/v1/#', 'ln/v1/X/ack', false],
    ['ln/v1/+/readings', 'ln/v1/+/readings', true], ['ln/v1/X/readings', 'ln/v1/+/readings', true],
    ['ln/v1/#', 'ln/v1/#', true], ['ln/v1/+/status', 'ln/v1/#', true], ['#', 'ln/v1/#', false], ['ln/v1', 'ln/v1/#', true],
  ];
  for (const [f, p, want] of cases) assert.is(filterCoveredBy(f, p), want, `${f} within ${p}`);
});

test('a device publishes only on its own PoD topics', () => {
  for (const k of ['readings', 'status', 'activations']) {
    assert.ok(mayPublish('device', A, `ln/v1/${A}/${k}`), k);
    assert.not.ok(mayPublish('device', A, `ln/v1/${B}/${k}`), `other pod ${k}`);
  }
  assert.not.ok(mayPublish('device', A, `ln/v1/${A}/ack`), 'forging its own ack');
  assert.not.ok(mayPublish('device', A, `ln/v1/${A}/setpoints`), 'forging setpoints');
  assert.not.ok(mayPublish('device', A, `ln/v1/${A}/readings/x`));
  assert.not.ok(mayPublish('device', A, `ln/v1/+/readings`));
  assert.not.ok(mayPublish('device', 'IT+/x', 'ln/v1/IT+/x/readings'), 'wildcards in usernames never match');
});

test('a device subscribes only to its own ack and setpoints', () => {
  assert.ok(maySubscribe('device', A, `ln/v1/${A}/ack`));
  assert.ok(maySubscribe('device', A, `ln/v1/${A}/setpoints`));
  for (const f of [`ln/v1/${B}/ack`, 'ln/v1/+/ack', 'ln/v1/#', '#', `ln/v1/${A}/#`, `ln/v1/${A}/readings`, `$share/g/ln/v1/${B}/ack`]) {
    assert.not.ok(maySubscribe('device', A, f), f);
  }
});

test('bal and operator roles', () => {
  assert.ok(maySubscribe('bal', 'bal', 'ln/v1/+/readings'));
  assert.ok(maySubscribe('bal', 'bal', '$share/bal/ln/v1/+/readings'));
  assert.ok(mayPublish('bal', 'bal', `ln/v1/${A}/ack`));
  assert.not.ok(mayPublish('bal', 'bal', `ln/v1/${A}/setpoints`));
  assert.not.ok(maySubscribe('bal', 'bal', 'ln/v1/#'));
  assert.ok(mayPublish('operator', 'dso-ops', `ln/v1/${A}/setpoints`));
  assert.ok(maySubscribe('operator', 'dso-ops', 'ln/v1/#'));
  assert.not.ok(mayPublish('operator', 'dso-ops', `ln/v1/${A}/readings`));
});

test.run();
