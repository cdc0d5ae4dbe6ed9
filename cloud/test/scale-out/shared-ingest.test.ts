// Two BAL ingest instances (in this process, `ingest.shareGroup: ingest`) on one Mosquitto
// `$share` group and one PostgreSQL schema; 20 devices running the edge's spool and uplink send
// readings. Each instance gets a part of them (Mosquitto's round-robin), and together they store
// every (device, seq) exactly once, with no gap. Each instance's MQTT connection is its own
// (`bal@<instanceId>`, clean session), allowed by the client-id binding of the dynsec plugin.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ScaleOutRig, until } from './rig.js';
import { mosquittoShared } from './mosquitto-transport.js';

let rig: ScaleOutRig;

test.before(async () => { rig = await ScaleOutRig.start({ transport: mosquittoShared(), devices: 20 }); });
test.after(async () => { await rig?.stop(); });

test('two ingest instances on one $share group: each gets a part, together every reading once', async () => {
  const a = await rig.startInProcess('ing-a', ['ingest']);
  const b = await rig.startInProcess('ing-b', ['ingest']);
  assert.is(a.anchorer, null);
  assert.ok(a.ingest && b.ingest);
  const sim = rig.startDevices({ intervalMs: 250, ackTimeoutSec: 3 });
  await until('both instances storing', async () => (await rig.metric('ing-a', 'bal_ingest_readings_total', 'outcome="stored"')) > 50
    && (await rig.metric('ing-b', 'bal_ingest_readings_total', 'outcome="stored"')) > 50, 120_000, 250);
  await new Promise((r) => setTimeout(r, 2000));
  const stats = await rig.drain(60_000, { anchored: false });
  assert.ok(stats.devices.every((d) => d.lastSeq >= 0), 'every device made readings');
  const { problems, readings } = await rig.check(stats, { anchors: false });
  assert.equal(problems, [], 'every (device, seq) stored exactly once, no gap');
  const storedA = await rig.metric('ing-a', 'bal_ingest_readings_total', 'outcome="stored"');
  const storedB = await rig.metric('ing-b', 'bal_ingest_readings_total', 'outcome="stored"');
  process.stdout.write(`shared ingest: ${readings} readings of ${stats.devices.length} devices; ing-a stored ${storedA}, ing-b ${storedB}; device resends ${stats.resends}\n`);
  assert.is(storedA + storedB, readings, 'the two parts add up to the store (no reading stored by both)');
  // Strict round-robin per message: neither instance took (nearly) everything.
  assert.ok(Math.min(storedA, storedB) > readings * 0.2, `a fair share each (${storedA} / ${storedB})`);
  await sim.stop();
});

test.run();
