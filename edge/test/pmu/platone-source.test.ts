// The Platone PMU JSON source against a real local broker (aedes): payloads published by a PMU
// client become one draft per component with the payload's time and its SHA-256 as source (the
// bytes kept by the sink); redeliveries, other devices' and malformed payloads make no reading.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { validateReading } from '@lightnode/shared/reading';
import { isLightNodeError } from '@lightnode/shared/errors';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { PlatoneSource, validatePlatoneConfig } from '../../src/pmu/platone-source.js';
import { memoryFrameSink } from '../../src/pmu/frame-sink.js';
import { countingMetrics, type ReadingDraft } from '../../src/meters/source.js';

const TOPIC = 'platone/pmu/PMU1';
let broker: TestBroker;
test.before(async () => { broker = await startAedes(); });
test.after(async () => { await broker.close(); });

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const payload = (ms: number, device = 'PMU1') => JSON.stringify({
  device, timestamp: new Date(ms).toISOString().replace('Z', '+00:00'),
  readings: [
    ...['A', 'B', 'C'].map((phase, i) => ({ component: 'BUS1', measurand: 'voltmagnitude', phase, data: 230 + i / 10 })),
    { component: 'BUS1', measurand: 'frequency', phase: '', data: 50.012 },
    { component: 'BUS2', measurand: 'voltmagnitude', phase: 'A', data: 229.5 },
  ],
});

test('config validation names the field', () => {
  assert.equal(validatePlatoneConfig({ id: 'pmuj', kind: 'pmu-json', url: 'mqtt://127.0.0.1:1883', topic: TOPIC }).angleUnit, 'rad');
  assert.throws(() => validatePlatoneConfig({ id: 'pmuj', kind: 'pmu-json', url: 'mqtt://x', topic: 'platone/#' }), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID') && e.details.field === 'meter.topic');
});

test('payloads over MQTT → one draft per component, none missing; duplicates, other devices and bad JSON make none', async () => {
  const sink = memoryFrameSink();
  const metrics = countingMetrics();
  const src = new PlatoneSource(validatePlatoneConfig({ id: 'pmuj', kind: 'pmu-json', url: broker.url, topic: TOPIC, device: 'PMU1' }), metrics, sink);
  const drafts: ReadingDraft[] = [];
  const errors: { code: string; reason?: unknown }[] = [];
  src.start((d) => drafts.push(d), (e) => errors.push({ code: isLightNodeError(e) ? e.code : String(e), reason: isLightNodeError(e) ? e.details.reason : undefined }));
  const pub = mqtt.connect(broker.url);
  try {
    await new Promise((r) => pub.once('connect', r));
    await until(() => broker.aedes.connectedClients >= 2, 'source connected');
    await new Promise((r) => setTimeout(r, 100)); // subscription in place
    const t0 = Date.UTC(2026, 5, 1, 12, 0, 0);
    for (let i = 0; i < 50; i++) pub.publish(TOPIC, payload(t0 + i * 20), { qos: 1 });
    pub.publish(TOPIC, payload(t0 + 49 * 20), { qos: 1 }); // a redelivery
    pub.publish(TOPIC, payload(t0 + 2000, 'PMU9'), { qos: 1 });
    pub.publish(TOPIC, '{"device":"PMU1"', { qos: 1 });
    await until(() => drafts.length >= 100 && errors.length >= 4, 'drafts and refusals');
    const bus1 = drafts.filter((d) => d.meter === 'pmuj.BUS1').map((d) => d.timestamp);
    assert.is(bus1.length, 50);
    for (let i = 1; i < bus1.length; i++) assert.is(bus1[i]! - bus1[i - 1]!, 20);
    assert.is(drafts.filter((d) => d.meter === 'pmuj.BUS2').length, 50);
    const kept = new Set(sink.frames.map((f) => bytesToHex(sha256(f.subarray(0, f.length - 1)))));
    for (const d of drafts) {
      validateReading({ ...d, pod: 'IT001E12345678', seq: 1 });
      assert.ok(kept.has(d.source.slice('pmu-json:'.length)));
    }
    const f = drafts[0]!.values.find((v) => v.quantity === '1-0:14.7.0')!;
    assert.equal(f, { quantity: '1-0:14.7.0', value: 50012, scale: -3, unit: 'Hz' });
    assert.equal(errors.map((e) => e.code).sort(), ['EDGE_PMU_FRAME_DUPLICATE', 'EDGE_PMU_FRAME_DUPLICATE', 'EDGE_PMU_FRAME_INVALID', 'EDGE_PMU_FRAME_INVALID']);
    assert.is(metrics.counts.get('PROTO_PMU_JSON_INVALID'), 2);
  } finally {
    pub.end(true);
    await src.close();
  }
});

test.run();
