// Issue 13 "Done when" through real parts (anvil, the BAL with its embedded broker, SQLite, the
// hardware-sim data-server simulator): the 15-minute feed of 1,000 PoDs is stored, anchored and
// receipt-verified; a re-sent message is all duplicates; the BAL's own CIM export re-imported
// through the data-server path gives the same values bit for bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { decodeCimXml } from '@lightnode/shared/cim/xml-codec';
import type { CimMessage } from '@lightnode/shared/cim/model';
import { signReading } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import { topicFor } from '@lightnode/shared/topics';
import { validateReceipt, verifyReceiptOffline } from '@lightnode/shared/receipt';
import { podRange, registersWh, feedMessage } from '@lightnode/hardware-sim/cim-server/feed';
import mqtt from 'mqtt';
import { verifyReceipt } from '../../src/verify/verify-receipt.js';
import { registerPod } from '@lightnode/test-kit/chain';
import { SERVER_ID, startCimFixture, until, type CimFixture } from './cim-fixture.js';

const PODS = podRange('IT001E00000001', 1000);
const LN_POD = 'IT002E00000001';
let fx: CimFixture;

test.before(async () => {
  fx = await startCimFixture({ pods: [...PODS, LN_POD], simPods: PODS, extraAccounts: [{ username: LN_POD, role: 'device', password: 'ln-pw' }] });
});
test.after(async () => { await fx?.close(); });

interface StoredRow { id: number; device: string; seq: number; status: string; reading: { pod: string; meter: string; timestamp: number; source: string; values: { quantity: string; value: number; scale: number; unit: string }[] } }

async function readingsOf(source: string): Promise<StoredRow[]> {
  const out: StoredRow[] = [];
  let afterId: number | undefined;
  for (;;) {
    const page = await fx.bal.store.listReadings({ limit: 1000, ...(afterId !== undefined ? { afterId } : {}) });
    for (const r of page.items) if (r.reading.source === source) out.push(r as unknown as StoredRow);
    if (page.nextAfterId === null) return out;
    afterId = page.nextAfterId;
  }
}

test('the feed of 1,000 PoDs: stored, acked with Reply OK, anchored, receipts verify on chain', async () => {
  const atMs = Math.floor(Date.now() / 900_000) * 900_000;
  const q = await fx.sim.send({ atMs });
  assert.is(q.reply.Reply?.Result, 'OK', JSON.stringify(q.reply.Reply));
  assert.is(q.reply.Header.CorrelationID, q.messageId);
  assert.is(q.reply.Reply?.Error[0]?.reason, 'stored 1000, duplicate 0');
  const source = `cim:${q.hash.slice(2)}`;
  const rows = await readingsOf(source);
  assert.is(rows.length, 1000);
  const server = fx.serverKey.address.toLowerCase();
  const byPod = new Map(rows.map((r) => [r.reading.pod, r]));
  PODS.forEach((pod, i) => {
    const r = byPod.get(pod);
    assert.ok(r, `${pod} stored`);
    const { importWh, exportWh } = registersWh(i, atMs);
    assert.equal(r!.reading.values, [
      { quantity: '1-0:1.8.0', value: importWh, scale: 0, unit: 'Wh' },
      { quantity: '1-0:2.8.0', value: exportWh, scale: 0, unit: 'Wh' },
    ], pod);
    assert.is(r!.reading.timestamp, atMs);
    assert.is(r!.device, server, 'the data server is the reading\'s signer');
  });
  assert.is(await fx.metric('bal_cim_readings_total', { outcome: 'stored' }), 1000);

  await until('1,000 readings confirmed', async () => (await readingsOf(source)).every((r) => r.status === 'confirmed'), 90_000);

  // Receipts: the first, a middle and the last reading, through the API and the independent verifier.
  const d = fx.chain.deployment;
  for (const r of [rows[0]!, rows[499]!, rows[999]!]) {
    const res = await fx.get(`/api/readings/${r.id}/receipt`);
    assert.is(res.status, 200);
    const receipt = await res.json() as Record<string, unknown>;
    verifyReceiptOffline(validateReceipt(receipt));
    const verdict = await verifyReceipt(receipt, { rpcUrl: d.rpcUrl, expect: { readingAnchor: d.readingAnchor, podRegistry: d.podRegistry, dataServerRegistry: d.dataServerRegistry! } });
    assert.ok(verdict.ok, JSON.stringify(verdict.checks.filter((c) => !c.ok)));
    assert.ok(verdict.checks.some((c) => c.name === 'cim-reading' && c.ok), 'the message → reading check ran');

    // A tampered value breaks the chain from the signed message to the reading.
    const bad = JSON.parse(JSON.stringify(receipt)) as { reading: { values: { value: number }[] } };
    bad.reading.values[0]!.value += 1;
    const refused = await verifyReceipt(bad, { rpcUrl: d.rpcUrl });
    assert.not.ok(refused.ok);
    assert.ok(refused.checks.some((c) => c.name === 'cim-reading' && !c.ok));
  }

  // The same message again: every reading a duplicate, nothing new stored.
  const before = (await fx.bal.store.counts()).readings;
  const again = await fx.sim.sendPayload(q.payload, q.messageId);
  assert.is(again.reply.Reply?.Result, 'OK');
  assert.is(again.reply.Reply?.Error[0]?.reason, 'stored 0, duplicate 1000');
  assert.is((await fx.bal.store.counts()).readings, before);
});

test('a CIM export of Light Node readings, re-imported by the data server, gives the same values bit for bit', async () => {
  const device = Wallet.createRandom();
  await registerPod(fx.chain, LN_POD, device.address);
  const client = await mqtt.connectAsync(fx.bal.endpoints.mqtt!, { username: LN_POD, password: 'ln-pw', clientId: LN_POD, reconnectPeriod: 0 });
  const t0 = Date.now() + 2000; // after the registration (chain time has 1 s resolution), within the BAL's future skew
  const values = [
    [{ quantity: '1-0:1.8.0', value: 12_345_678, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1503, scale: 0, unit: 'W' }, { quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' }],
    [{ quantity: '1-0:1.8.0', value: 12_345_999, scale: 0, unit: 'Wh' }, { quantity: '1-0:14.7.0', value: 49_987, scale: -3, unit: 'Hz' }, { quantity: '1-0:31.7.0', value: -7, scale: -2, unit: 'A' }],
    [{ quantity: '1-0:2.8.0', value: 0, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 42, scale: 3, unit: 'W' }],
  ];
  const readings = values.map((v, i) => signReading(fx.chain.domain, { pod: LN_POD, meter: 'main', seq: i, timestamp: t0 + i * 1000, source: 'modbus', values: v }, hexToBytes(device.privateKey, 32)));
  await client.publishAsync(topicFor(LN_POD, 'readings'), JSON.stringify({ v: 1, readings }), { qos: 1 });
  await until('Light Node readings stored', async () => (await readingsOf('modbus')).length === 3, 30_000);
  await client.endAsync();

  const res = await fx.get(`/api/readings/cim?pod=${LN_POD}`, 'application/xml');
  assert.is(res.status, 200);
  const exported = decodeCimXml(await res.text());
  assert.is(exported.Header.Verb, 'reply');
  // What a data server would send: the same payload as a `created` message of its own.
  const created: CimMessage = {
    Header: { Verb: 'created', Noun: 'MeterReadings', Timestamp: new Date().toISOString(), Source: SERVER_ID, MessageID: 'reimport-1' },
    Payload: exported.Payload!,
  };
  const q = await fx.sim.sendMessage(created);
  assert.is(q.reply.Reply?.Result, 'OK', JSON.stringify(q.reply.Reply));
  const imported = await readingsOf(`cim:${q.hash.slice(2)}`);
  const originals = await readingsOf('modbus');
  assert.is(imported.length, originals.length);
  for (const o of originals) {
    const twin = imported.find((r) => r.reading.timestamp === o.reading.timestamp && r.reading.meter === o.reading.meter);
    assert.ok(twin, `re-imported reading at ${o.reading.timestamp}`);
    assert.equal(twin!.reading.values, o.reading.values, 'same quantities, integers and scales');
  }
  // And the BAL's export of the re-imported readings carries the very same decimal strings.
  const again = decodeCimXml(await (await fx.get(`/api/readings/cim?pod=${LN_POD}`, 'application/xml')).text());
  const valuesBy = (m: CimMessage, source: (s: string | undefined) => boolean) => m.Payload!.MeterReadings.MeterReading.flatMap((mr) => mr.Readings)
    .filter((r) => source(r.source)).map((r) => `${r.timeStamp} ${r.ReadingType.ref} ${r.value}`).sort();
  const first = valuesBy(exported, (s) => s === 'modbus');
  assert.is(first.length, 8);
  assert.equal(valuesBy(again, (s) => s?.startsWith('cim:') ?? false), first);
});

test('the simulator builds the message it signs from the feed table (sanity of the test data)', () => {
  const m = feedMessage({ pods: PODS.slice(0, 2), atMs: 1_767_225_600_000, sentAtMs: 1_767_225_601_000, messageId: 'x', source: SERVER_ID });
  assert.is(m.Payload!.MeterReadings.MeterReading.length, 2);
  assert.is(m.Payload!.MeterReadings.MeterReading[1]!.Readings[0]!.value, (registersWh(1, 1_767_225_600_000).importWh / 1000).toFixed(3));
});

test.run();
