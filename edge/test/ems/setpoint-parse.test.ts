// The setpoint command's shape check: the edge's 64 KiB bound, then shared parseSetpointCommand;
// every bad input the end-to-end suite (setpoints.test.ts) sends is EDGE_SETPOINT_MALFORMED here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { isLightNodeError } from '@lightnode/shared/errors';
import { makeDomain } from '@lightnode/shared/eip712';
import { serializeActivation, type Activation } from '@lightnode/shared/messages';
import { MAX_SETPOINT_BYTES, emsMeasurements, parseSetpointPayload, setpointIdOf } from '../../src/ems/setpoints.js';
import { MemorySpool } from '../../src/spool/memory-spool.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { readingSigner } from '../../src/identity/reading-signer.js';

const vectors = JSON.parse(readFileSync(new URL('../../../shared/vectors/setpoints.json', import.meta.url), 'utf8'));
const signed = vectors.vectors[0].setpoint;
const pod = signed.pod as string;

test('a valid command parses to the signed setpoint, from a string or bytes', () => {
  const text = JSON.stringify({ v: 1, setpoint: signed });
  assert.equal(parseSetpointPayload(text), signed);
  assert.equal(parseSetpointPayload(Buffer.from(text)), signed);
});

const bad: [string, string | Buffer][] = [
  ['not JSON', 'not json'],
  ['v 2', '{"v":2,"setpoint":{}}'],
  ['fractional power', JSON.stringify({ v: 1, setpoint: { pod, id: 'x', activePowerW: 1.5 } })],
  ['over 64 KiB', 'x'.repeat(70_000)],
  ['array', '[]'],
  ['null', 'null'],
  ['missing setpoint', '{"v":1}'],
  ['unknown top-level field', JSON.stringify({ v: 1, setpoint: signed, extra: 1 })],
  ['short signature', JSON.stringify({ v: 1, setpoint: { ...signed, signature: '0x1234' } })],
  ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
];
for (const [name, payload] of bad) {
  test(`refused as EDGE_SETPOINT_MALFORMED: ${name}`, () => {
    try {
      parseSetpointPayload(payload);
      assert.unreachable('parsed');
    } catch (e) {
      assert.ok(isLightNodeError(e, 'EDGE_SETPOINT_MALFORMED'), String(e));
    }
  });
}

test('the refusal names the setpoint id when the command has a usable one', () => {
  assert.is(setpointIdOf(JSON.stringify({ v: 1, setpoint: { ...signed, signature: '0x12' } })), 'sp-1');
  assert.is(setpointIdOf(JSON.stringify({ v: 2, setpoint: { id: 'sp-9' } })), 'sp-9');
  assert.is(setpointIdOf(JSON.stringify({ v: 1, setpoint: { id: 'bad id with spaces' } })), 'invalid');
  assert.is(setpointIdOf('null'), 'invalid');
  assert.is(setpointIdOf('{'), 'invalid');
  assert.is(setpointIdOf(`{"v":1,"setpoint":{"id":"sp-1"},"pad":"${'x'.repeat(MAX_SETPOINT_BYTES)}"}`), 'invalid', 'oversized: not parsed at all');
});

test('activations: the shared serializer writes the bytes the edge wrote by hand (JSON.stringify)', () => {
  const spool = new MemorySpool({ pod, sign: readingSigner(makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3'), DeviceKey.generate()) });
  const [reading] = spool.appendMany([{ meter: 'ems', timestamp: 1_763_780_400_000, source: 'activation:sp-1', values: emsMeasurements({ mode: 'limit', activePowerW: 2500, measuredPowerW: -1200 }) }]);
  const msgs: Activation[] = [
    { v: 1, setpointId: 'sp-1', status: 'applied', reading: reading! },
    { v: 1, setpointId: 'sp-1', status: 'refused', code: 'EDGE_EMS_READBACK_MISMATCH', reading: reading! },
    { v: 1, setpointId: 'invalid', status: 'refused', code: 'EDGE_SETPOINT_MALFORMED' },
    { v: 1, setpointId: 'sp-1', status: 'expired', code: 'EDGE_SETPOINT_EXPIRED' },
  ];
  for (const m of msgs) assert.is(serializeActivation(m), JSON.stringify(m));
});

test.run();
