import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { topicFor, parseTopic, topicFilter, TOPIC_KINDS, certifiedTopic, parseCertifiedTopic, certifiedFormatTopic, parseCertifiedFormatTopic } from '../src/topics.js';
import { isLightNodeError } from '../src/errors.js';

test('topicFor builds ln/v1/{pod}/{kind} and parseTopic inverts it for every kind', () => {
  for (const kind of TOPIC_KINDS) {
    const t = topicFor('IT001E12345678', kind);
    assert.is(t, `ln/v1/IT001E12345678/${kind}`);
    assert.equal(parseTopic(t), { pod: 'IT001E12345678', kind });
  }
  assert.is(topicFilter('readings'), 'ln/v1/+/readings');
  assert.is(topicFilter('ack', 'IT001E12345678'), 'ln/v1/IT001E12345678/ack');
});

test('parseTopic returns null for foreign or malformed topics', () => {
  for (const t of ['', 'ln/v1', 'ln/v2/IT001E12345678/readings', 'ln/v1/IT001E12345678/readings/x', 'ln/v1/+/readings',
    'ln/v1/it001e12345678/readings', 'ln/v1/IT001E12345678/other', '/ln/v1/IT001E12345678/ack', 'ln/v1//ack']) {
    assert.is(parseTopic(t), null, t);
  }
  assert.is(parseTopic(42 as unknown as string), null);
});

test('topicFor refuses a bad PoD (no MQTT wildcards or separators can be injected) and a bad kind', () => {
  for (const pod of ['+', '#', 'IT001E12345678/x', '', 'IT001E1234567']) {
    assert.throws(() => topicFor(pod, 'readings'), (e: unknown) => isLightNodeError(e, 'PROTO_TOPIC_INVALID'), pod);
  }
  assert.throws(() => topicFor('IT001E12345678', 'nope' as 'ack'), (e: unknown) => isLightNodeError(e, 'PROTO_TOPIC_INVALID'));
});

test('certifiedTopic builds certified/v1/{pod}/readings and parseCertifiedTopic inverts it; anything else is null', () => {
  assert.is(certifiedTopic('IT001E12345678'), 'certified/v1/IT001E12345678/readings');
  assert.equal(parseCertifiedTopic('certified/v1/IT001E12345678/readings'), { pod: 'IT001E12345678' });
  for (const bad of ['certified/v1/IT001E12345678', 'certified/v1/+/readings', 'certified/v2/IT001E12345678/readings',
    'ln/v1/IT001E12345678/readings', 'certified/v1/IT001E12345678/readings/x', 'certified/v1/nope/readings', '']) assert.is(parseCertifiedTopic(bad), null, bad);
  assert.throws(() => certifiedTopic('IT001E1234567#'), (e: any) => e.code === 'PROTO_TOPIC_INVALID');
  assert.is(parseCertifiedTopic('certified/v1/IT001E12345678/readings/cim-xml'), null, 'a format topic is not a stream (subscriptions and grants name streams)');
});

test('certifiedFormatTopic: json is the stream itself, CIM a subtopic; parseCertifiedFormatTopic inverts it and names the stream', () => {
  const S = 'certified/v1/IT001E12345678/readings';
  assert.is(certifiedFormatTopic('IT001E12345678', 'json'), S);
  assert.is(certifiedFormatTopic('IT001E12345678', 'cim-xml'), `${S}/cim-xml`);
  assert.is(certifiedFormatTopic('IT001E12345678', 'cim-json'), `${S}/cim-json`);
  for (const f of ['json', 'cim-xml', 'cim-json'] as const) assert.equal(parseCertifiedFormatTopic(certifiedFormatTopic('IT001E12345678', f)), { pod: 'IT001E12345678', format: f, stream: S });
  for (const bad of [`${S}/json`, `${S}/cim`, `${S}/cim-xml/x`, `${S}/+`, `${S}/#`, 'certified/v1/+/readings/cim-xml', 'certified/v1/IT001E12345678/cim-xml', 'cim-xml', '']) {
    assert.is(parseCertifiedFormatTopic(bad), null, bad);
  }
  assert.throws(() => certifiedFormatTopic('IT001E12345678', 'xml' as 'json'), (e: any) => e.code === 'PROTO_TOPIC_INVALID');
});

test.run();
