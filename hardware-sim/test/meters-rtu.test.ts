// Every bundled meter read with modbus-serial over Modbus RTU: three slave ids on one serial
// line (a socat pty pair), decoded from the data files; the same device gives the same values
// over TCP and over RTU at the same simulated instant.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTemplate } from '../src/devices/template.js';
import { SimMeter } from '../src/devices/sim-meter.js';
import { FakeClock, SimClock } from '../src/physics/clock.js';
import { reader, type Client } from './helpers/client.js';
import { decodePoints, readAll, walkSunSpec } from './helpers/decode.js';
import { serveOverRtuAndTcp, type Served } from './helpers/served.js';

const real = new FakeClock(0);
const clock = new SimClock({ startMs: Date.UTC(2026, 5, 1, 18, 0, 0), acceleration: 3600, real });
const meters = [
  new SimMeter({ id: 'a', template: loadTemplate('sdm630'), clock, profile: { kind: 'household' } }),
  new SimMeter({ id: 'b', template: loadTemplate('sdm120'), clock, profile: { kind: 'constant', powerW: -800 } }),
  new SimMeter({ id: 'c', template: loadTemplate('sunspec-meter'), clock, profile: { kind: 'prosumer' } }),
];
const devices = new Map(meters.map((m, i) => [i + 1, m] as const));
let served: Served, rc: Client, tc: Client;

test.before(async () => {
  served = await serveOverRtuAndTcp(devices);
  ({ rc, tc } = served);
});
test.after(async () => { await served?.stop(); });

test('all meters on one RTU line decode, and give the same values as over TCP at the same instant', async () => {
  for (const [id, m] of devices) {
    const overRtu = decodePoints(m.template, await readAll(m.template, reader(rc, id)));
    const overTcp = decodePoints(m.template, await readAll(m.template, reader(tc, id)));
    const names = Object.keys(overRtu);
    assert.ok(names.length >= 10, `${m.id}: ${names.length} points`);
    for (const n of names) {
      const [a, b] = [overRtu[n]!, overTcp[n]!];
      assert.ok(a === b || (Number.isNaN(a) && Number.isNaN(b)), `${m.id}.${n}: RTU ${a} vs TCP ${b}`);
    }
  }
});

test('energy over simulated hours on RTU: exact for constant export, monotonic and consistent for all', async () => {
  let prev: Record<string, number>[] | undefined;
  for (let h = 0; h < 6; h++) {
    const v: Record<string, number>[] = [];
    for (const [id, m] of devices) v.push(decodePoints(m.template, await readAll(m.template, reader(rc, id))));
    const [sdm630, sdm120, sun] = v as [Record<string, number>, Record<string, number>, Record<string, number>];
    assert.ok(Math.abs(sdm120.exportEnergy! - 800 * h) < 0.01, `SDM120 export after ${h} h: ${sdm120.exportEnergy}`);
    assert.is(sdm120.importEnergy, 0);
    assert.ok(Math.abs(sdm120.power! + 800) < 1e-6);
    assert.ok(Math.abs(sdm630.importEnergyL1! + sdm630.importEnergyL2! + sdm630.importEnergyL3! - sdm630.importEnergy!) < 0.5, 'SDM630 phases add up');
    assert.ok(Math.abs(sun['m213.TotWhImp']! - (sun['m213.TotWhImpphA']! + sun['m213.TotWhImpphB']! + sun['m213.TotWhImpphC']!)) < 0.5, 'SunSpec 213 phases add up');
    if (prev) {
      assert.ok(sdm630.importEnergy! > prev[0]!.importEnergy!, 'household import grows every hour');
      const [a, b] = [prev[2]!['m213.TotWhImp']!, sun['m213.TotWhImp']!];
      assert.ok(b >= a || Number.isNaN(a), 'SunSpec import never decreases');
    }
    prev = v;
    real.advance(1000);
  }
});

test('SunSpec chain walked over RTU', async () => {
  const models = await walkSunSpec((a, n) => reader(rc, 3)(3, a, n));
  assert.equal(models.map((m) => m.id), [1, 203, 213]);
});

test('unknown slave id on the line stays silent (timeout)', async () => {
  rc.setID(9);
  try {
    await rc.readInputRegisters(0, 2);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { errno?: string }).errno, 'ETIMEDOUT');
  } finally {
    rc.setTimeout(1000);
  }
});

test.run();
