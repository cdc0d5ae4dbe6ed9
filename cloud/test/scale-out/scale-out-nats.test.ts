// The scale-out scenario of issue 16 on a 3-node NATS JetStream cluster (./scenario.ts,
// ./nats-transport.ts): node configs from `bal nats-config`, an R3 work-queue stream, three
// ingest instances pulling from one durable consumer, one api, two anchor candidates (real
// `bal run --roles` processes, one PostgreSQL schema), 200 simulated devices (the edge's spool +
// uplink, MQTT 3.1.1) spread over the three nodes' MQTT listeners, a reading every 2 s each.
// SIGKILL one ingest instance, then the anchor leader, then one NATS node that does not lead the
// readings consumer (SCALE_OUT_NATS_FAULT=leader: the one that does, which shows the known stall
// of cloud/README "JetStream transport") — every live ingest instance must store again within
// 30 s; the node is restarted later —; then a rolling restart of every
// instance. After each: every (device, seq) stored exactly once with no gap, anchors
// contiguous; the new leader within 10 s.
//
// Opt-in (SCALE_OUT_NATS=1), not in the default suite: it passed every run on a quiet machine
// (87–100 s) but failed once in a full CI run under load — the drain after the kills timed out
// with 188 of 200 devices holding 1,010 unacked readings (nothing lost: they were still spooled),
// 140 of 200 connected — the open NATS stall of cloud/README "JetStream transport". The
// deterministic NATS cases stay in the suite: cloud/test/nats/*.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ScaleOutRig } from './rig.js';
import { natsJetStream } from './nats-transport.js';
import { runScaleOutScenario } from './scenario.js';

let rig: ScaleOutRig;
const say = (s: string): void => { process.stdout.write(`${s}\n`); };

const enabled = process.env.SCALE_OUT_NATS === '1';
if (!enabled) say('scale-out-nats: skipped (set SCALE_OUT_NATS=1 to run the NATS scenario)');

test.before(async () => { if (!enabled) return; rig = await ScaleOutRig.start({ transport: natsJetStream({ fault: process.env.SCALE_OUT_NATS_FAULT === 'leader' ? 'leader' : 'follower' }), devices: 200, log: process.env.SCALE_OUT_LOG ? say : undefined }); });
test.after(async () => { await rig?.stop(); });

(enabled ? test : test.skip)('NATS: 3 ingest + 1 api + 2 anchor instances, 200 devices: instance kills, a NATS node kill and a rolling restart lose nothing', async () => {
  const r = await runScaleOutScenario(rig);
  say(`scale-out (nats jetstream): ${JSON.stringify(r)}`);
  for (const [id, n] of Object.entries(r.storedBeforeKill)) assert.ok(n > 0, `${id} stored its share`);
  assert.ok(r.brokerFault, 'the NATS node was killed');
  assert.ok(r.brokerFault!.allIngestingAfterMs <= 30_000, `every live ingest instance stored again after the node kill (${r.brokerFault!.allIngestingAfterMs} ms)`);
  assert.equal(r.afterKills.problems, [], 'after the kills: every (device, seq) once, no gap, anchors contiguous');
  assert.ok(r.afterKills.readings > 0 && r.afterKills.anchors > 0);
  assert.ok(r.takeoverMs <= 10_000, `a new anchor leader within 10 s (${r.takeoverMs} ms)`);
  assert.ok(r.takeoverLeaseClockMs <= 10_000, `within 10 s on the lease clock (${r.takeoverLeaseClockMs} ms)`);
  assert.is(r.epochs.taken, r.epochs.killed + 1, 'a new epoch');
  assert.equal(r.afterRollingRestart.problems, [], 'after the rolling restart: the same');
  assert.ok(r.afterRollingRestart.readings > r.afterKills.readings, 'readings went on');
  assert.ok(r.handoverMs !== null && r.handoverMs <= 10_000, `the restarted leader handed over within 10 s (${r.handoverMs} ms)`);
});

test.run();
