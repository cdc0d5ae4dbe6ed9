// The data-server simulator (src/cim-server/) on a real aedes broker, with a stand-in BAL that
// checks what arrives: the signed wire format, the feed of N PoDs, and each fault mode's mark.
// Also `sim cim-server --once` as a process. (The real BAL's verdicts: scripts/test/cim/.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { addressOf, makeDomain } from '@lightnode/shared/eip712';
import { cimPayloadHash, decodeCimPayload, recoverCimSigner, unwrapSignedCim } from '@lightnode/shared/cim/signed-message';
import { cimMessageToReadings } from '@lightnode/shared/cim/import-map';
import { encodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { cimTopic } from '@lightnode/shared/topics';
import type { CimMessage } from '@lightnode/shared/cim/model';
import { FOREIGN_POD, UNKNOWN_READING_TYPE, podRange, registersWh } from '../src/cim-server/feed.js';
import { startDataServerSim, type DataServerSim } from '../src/cim-server/data-server.js';

const domain = makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3');
const key = crypto.getRandomValues(new Uint8Array(32));
const PODS = podRange('IT001E00000001', 50);
let broker: TestBroker;
let bal: MqttClient;
let sim: DataServerSim;
const seen: { wire: Uint8Array; verdict: string }[] = [];

/** A stand-in BAL: unwrap, recover, decode, map; reply OK or FAILED with what went wrong. */
function verdictOf(wire: Uint8Array): { id: string | undefined; verdict: string } {
  const { signature, payload } = unwrapSignedCim(wire);
  let msg: CimMessage;
  try { msg = decodeCimPayload(payload).message; } catch { return { id: undefined, verdict: 'malformed' }; }
  if (recoverCimSigner(domain, 'ds-1', payload, signature) !== addressOf(key)) return { id: msg.Header.MessageID, verdict: 'bad-signature' };
  if (msg.Payload!.MeterReadings.MeterReading.some((m) => m.UsagePoint?.mRID === FOREIGN_POD)) return { id: msg.Header.MessageID, verdict: 'foreign-pod' };
  try { cimMessageToReadings(msg, '0x' + '00'.repeat(32) as `0x${string}`); } catch (e) { return { id: msg.Header.MessageID, verdict: (e as { code: string }).code }; }
  return { id: msg.Header.MessageID, verdict: 'ok' };
}

test.before(async () => {
  broker = await startAedes();
  bal = await mqtt.connectAsync(broker.url, { clientId: 'stand-in-bal' });
  bal.on('message', (_t, payload) => {
    const wire = new Uint8Array(payload);
    const { id, verdict } = verdictOf(wire);
    seen.push({ wire, verdict });
    // As the BAL does: the MessageID, or the payload hash when the message cannot be read.
    const correlation = id ?? cimPayloadHash(unwrapSignedCim(wire).payload);
    const reply: CimMessage = { Header: { Verb: 'reply', Noun: 'MeterReadings', CorrelationID: correlation }, Reply: { Result: verdict === 'ok' ? 'OK' : 'FAILED', Error: [{ code: verdict }] } };
    bal.publish(cimTopic('ds-1', 'ack'), encodeCimXml(reply), { qos: 1 });
  });
  await bal.subscribeAsync('cim/v1/+/meter-readings', { qos: 1 });
  sim = await startDataServerSim({ url: broker.url, username: 'ds-1', password: 'x', serverId: 'ds-1', privateKey: key, domain, pods: PODS, replyTimeoutMs: 20_000 });
});
test.after(async () => { await sim?.close(); await bal?.endAsync(); await broker?.close(); });

test('one quarter of 50 PoDs: signed by the server key, the registers of the feed table, answered', async () => {
  const atMs = Date.parse('2026-12-05T08:00:00Z');
  const q = await sim.send({ atMs });
  assert.is(q.reply.Reply?.Result, 'OK');
  const last = seen.at(-1)!;
  assert.is(last.verdict, 'ok');
  const msg = decodeCimPayload(unwrapSignedCim(last.wire).payload).message;
  assert.is(msg.Header.Verb, 'created');
  const readings = cimMessageToReadings(msg, q.hash).readings;
  assert.is(readings.length, 50);
  readings.forEach((r, i) => {
    assert.is(r.pod, PODS[i]);
    assert.is(r.timestamp, atMs);
    assert.equal(r.values.map((v) => v.value), [registersWh(i, atMs).importWh, registersWh(i, atMs).exportWh]);
  });
});

test('fault modes: bad signature, foreign usage point, unknown ReadingType, malformed XML', async () => {
  assert.is((await sim.send({ fault: 'bad-signature' })).reply.Reply?.Error[0]?.code, 'bad-signature');
  assert.is((await sim.send({ fault: 'wrong-usage-point' })).reply.Reply?.Error[0]?.code, 'foreign-pod');
  const unknown = await sim.send({ fault: 'unknown-reading-type' });
  assert.is(unknown.reply.Reply?.Error[0]?.code, 'CIM_READING_TYPE_UNKNOWN');
  assert.ok(new TextDecoder().decode(unknown.payload).includes(UNKNOWN_READING_TYPE));
  const malformed = await sim.send({ fault: 'malformed-xml' });
  assert.is(malformed.reply.Reply?.Error[0]?.code, 'malformed');
});

test('`sim cim-server --help` prints the usage; a bad --fault exits non-zero naming it', () => {
  const bin = fileURLToPath(new URL('../bin/sim.mjs', import.meta.url));
  const help = spawnSync(process.execPath, [bin, 'cim-server', '--help'], { encoding: 'utf8' });
  assert.is(help.status, 0);
  assert.match(help.stdout, /--server-id/);
  const dir = mkdtempSync(join(tmpdir(), 'sim-cim-'));
  for (const f of ['pw', 'key', 'd.json']) writeFileSync(join(dir, f), f === 'd.json' ? '{"chainId":1,"podRegistry":"0x5fbdb2315678afecb367f032d93f642f64180aa3"}' : '00'.repeat(31) + '01');
  const bad = spawnSync(process.execPath, [bin, 'cim-server', '--url', broker.url, '--username', 'ds-1', '--password-file', join(dir, 'pw'), '--server-id', 'ds-1',
    '--key-file', join(dir, 'key'), '--deployment', join(dir, 'd.json'), '--pods', '2', '--fault', 'nonsense', '--once'], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /--fault/);
});

test.run();
