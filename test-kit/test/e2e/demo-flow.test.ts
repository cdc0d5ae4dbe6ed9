/**
 * End to end on embedded defaults, with accelerated simulators: the demo's flow (anvil,
 * contracts, simulated lab, `fleet import`, BAL with aedes + SQLite, one agent per PoD, a DSO
 * setpoint) and every stage of a reading's life asserted against the parts themselves:
 * signed → stored → acked (spools empty) → anchored → receipt verifies (the independent
 * verifier AND ReadingAnchor.verifyReading on chain) → setpoint applied on the EMS simulator
 * → activation reading stored at the BAL.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { jsonRpcProvider, readingAnchorAt, subscriptionRegistryAt } from '@lightnode/contracts/connect';
import { certifiedTopic, parseCertifiedTopic } from '@lightnode/shared/topics';
import { makeDomain, recoverReadingSigner } from '@lightnode/shared/eip712';
import type { SignedReading } from '@lightnode/shared/reading';
import { verifyReceipt } from '@lightnode/scripts/verify-receipt';
import type { ReceiptLike } from '@lightnode/scripts/verify-receipt/types';
import { startDemo, type Demo } from '@lightnode/scripts/demo';
import { stagedRun } from './stages.js';
import { DEMO_PODS } from '@lightnode/scripts/demo/nodes';
import { MILESTONES, type DemoEvent } from '@lightnode/scripts/demo/progress';

const dir = mkdtempSync(join(tmpdir(), 'e2e-demo-'));
const events: DemoEvent[] = [];
const run = stagedRun(dir);
let demo: Demo | null = null;

test.before(async () => {
  demo = await run.track(() => startDemo({ dataDir: dir, acceleration: 60, anchorWindowMs: 1000, pollIntervalMs: 500, onEvent: (e) => events.push(e) }));
});

test.after(async () => {
  await demo?.stop();
  run.cleanUp(); // the data folder is kept when a stage failed
});

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 45_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; progress ${JSON.stringify(demo!.progress())}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function receiptOf(id: number): Promise<ReceiptLike | null> {
  const res = await fetch(`${demo!.endpoints.balApi}/api/readings/${id}/receipt`, { headers: { 'x-api-key': demo!.endpoints.apiKey } });
  return res.status === 200 ? ((await res.json()) as ReceiptLike) : null;
}

run.stage('signed: every node signs readings with its own key, from every kind of source', async () => {
  const d = demo!;
  await d.waitFor('signed', 60_000);
  await until('a signed reading from every node', () => d.agents.every((a) => a.agent.spool.status().lastSeq !== null));
  assert.is(d.nodes.length, 3);
  for (const n of d.nodes) assert.is(d.agents.find((a) => a.pod === n.pod)!.agent.address, n.address, `${n.pod} runs with the key its keystore holds`);
});

run.stage('stored: the BAL stores each PoD\'s readings, signed by the device the registry binds', async () => {
  const d = demo!;
  await d.waitFor('stored', 60_000);
  const domain = makeDomain(d.deployment.chainId, d.deployment.podRegistry);
  for (const n of d.nodes) {
    const page = await until(`readings of ${n.pod}`, async () => {
      const p = await d.bal.store.listReadings({ pod: n.pod, limit: 10 });
      return p.items.length > 0 ? p : null;
    });
    for (const r of page.items) {
      assert.is(r.device, n.address);
      assert.is(recoverReadingSigner(domain, r.reading as SignedReading), n.address);
    }
  }
  const sources = new Set((await d.bal.store.listReadings({ limit: 1000 })).items.map((r) => r.reading.source));
  assert.ok(sources.has('modbus') && sources.has('chain2'), `sources seen: ${[...sources].join(', ')}`);
});

run.stage('acked: the acks empty the spools; nothing quarantined', async () => {
  const d = demo!;
  await d.waitFor('acked', 60_000);
  // The nodes keep signing, so "empty" is checked per node against a mark: everything signed up
  // to now must leave the spool (acked by the BAL), and nothing may be quarantined.
  const marks = d.agents.map((a) => ({ pod: a.pod, agent: a.agent, seq: a.agent.spool.status().lastSeq! }));
  await until('every reading signed up to the mark acked and gone from its spool', () => marks.every((m) => {
    const s = m.agent.spool.status();
    return s.lastAckSeq !== null && (s.oldestSeq === null || s.oldestSeq > m.seq);
  }), 60_000);
  for (const m of marks) {
    const stored = await d.bal.store.readingByDeviceSeq(m.agent.address as `0x${string}`, m.seq);
    assert.ok(stored, `${m.pod} seq ${m.seq} is in the BAL store`);
  }
  for (const a of d.agents) assert.is(a.agent.spool.status().quarantined, 0, `${a.pod} quarantined nothing`);
  const p = d.progress();
  assert.ok(p.acked > 0 && p.acked <= p.signed);
});

run.stage('anchored, and receipts verify with the shared verifier and on chain (ReadingAnchor.verifyReading)', async () => {
  const d = demo!;
  await d.waitFor('anchored', 60_000);
  await d.waitFor('receipt-verified', 60_000);
  const provider = jsonRpcProvider(d.endpoints.rpcUrl, d.endpoints.chainId);
  const anchor = readingAnchorAt(d.deployment.readingAnchor as `0x${string}`, provider);
  try {
    for (const n of d.nodes) {
      const r = await until(`a confirmed reading of ${n.pod}`, async () => (await d.bal.store.listReadings({ pod: n.pod, status: 'confirmed', limit: 1 })).items[0]);
      const receipt = await until(`the receipt of reading ${r.id}`, () => receiptOf(r.id));
      const res = await verifyReceipt(receipt, { rpcUrl: d.endpoints.rpcUrl });
      assert.ok(res.ok, JSON.stringify(res.checks.filter((c) => !c.ok)));
      const [ok, reason] = await anchor.getFunction('verifyReading').staticCall(receipt.reading, receipt.reading.signature, receipt.anchor.index, receipt.proof);
      assert.is(ok, true, `verifyReading reason ${reason}`);
      assert.is(receipt.signer, n.address);

      // The same receipt with one value changed must fail both verifiers.
      const bad = structuredClone(receipt);
      bad.reading.values[0]!.value += 1;
      assert.is((await verifyReceipt(bad, { rpcUrl: d.endpoints.rpcUrl })).ok, false);
      const [badOk] = await anchor.getFunction('verifyReading').staticCall(bad.reading, bad.reading.signature, bad.anchor.index, bad.proof);
      assert.is(badOk, false);
    }
  } finally {
    provider.destroy();
  }
  assert.ok(d.progress().receiptsVerified >= 1);
  assert.is(d.progress().receiptsFailed, 0);
});

run.stage('setpoint applied on the EMS simulator; the signed activation reading is stored at the BAL', async () => {
  const d = demo!;
  const sp = d.setpoint!;
  assert.ok(sp, 'a setpoint was sent');
  await d.waitFor('setpoint-applied', 60_000);
  const ems = d.lab.ems();
  assert.is(ems.mode, sp.mode);
  assert.is(ems.setpointW, sp.activePowerW);
  await d.waitFor('activation-stored', 60_000);
  const stored = (await d.bal.store.listReadings({ pod: DEMO_PODS.sme, limit: 1000 })).items.find((r) => r.reading.source === `activation:${sp.id}`);
  assert.ok(stored, 'activation reading in the store');
  assert.is(stored!.device, d.nodes.find((n) => n.pod === DEMO_PODS.sme)!.address);
  assert.is(stored!.reading.meter, 'ems');
});

run.stage('data sharing: one producer per PoD, the consumer\'s accepted stream certified on chain and delivered only to it', async () => {
  const d = demo!;
  await d.waitFor('certified-delivered', 60_000);
  const sh = d.sharing;
  assert.equal(sh.users.filter((u) => u.role === 'producer').flatMap((u) => u.pods).sort(), d.nodes.map((n) => n.pod).sort());
  assert.ok(sh.received() > 0);
  // The decision the demo printed is the one on chain, signed by the producer of the shared PoD.
  const reg = subscriptionRegistryAt(d.deployment.subscriptionRegistry!, jsonRpcProvider(d.endpoints.rpcUrl));
  const producer = sh.users.find((u) => u.role === 'producer' && u.pods.includes(parseCertifiedTopic(sh.topic)!.pod))!;
  const consumer = sh.users.find((u) => u.role === 'consumer')!;
  const state = await reg.getFunction('subscriptionOf')(producer.wallet, consumer.wallet, sh.topic);
  assert.is(Number(state[3]), 2, 'accepted on chain');
  // Another PoD's stream stays closed to the consumer: refused at subscribe.
  const other = d.nodes.find((n) => certifiedTopic(n.pod) !== sh.topic)!;
  const c = await mqtt.connectAsync(d.endpoints.mqtt, { username: consumer.username, password: consumer.password, clientId: consumer.username, reconnectPeriod: 0 });
  try {
    // MQTT.js rejects a SUBACK of 0x80 ("Unspecified error"); a granted QoS would resolve.
    const granted = await c.subscribeAsync(certifiedTopic(other.pod), { qos: 1 }).then((g) => g[0]!.qos, () => 128);
    assert.is(granted, 128);
  } finally { await c.endAsync(true); }
});

run.stage('every milestone was announced once, in the event stream', () => {
  const seen = events.filter((e) => e.kind === 'milestone').map((e) => (e as { milestone: string }).milestone);
  for (const m of MILESTONES) assert.is(seen.filter((x) => x === m).length, 1, `milestone ${m}`);
  assert.ok(events.some((e) => e.kind === 'receipt'));
  assert.not.ok(events.some((e) => e.kind === 'warning'), JSON.stringify(events.filter((e) => e.kind === 'warning')));
});

test.run();
