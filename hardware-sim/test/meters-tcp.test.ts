// Every bundled meter read with modbus-serial over Modbus TCP (three slave ids on one port),
// decoded from its data file, and its energy counters checked over simulated hours.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTemplate } from '../src/devices/template.js';
import { SimMeter } from '../src/devices/sim-meter.js';
import { ModbusTcpServer } from '../src/modbus/tcp-server.js';
import { FakeClock, SimClock } from '../src/physics/clock.js';
import { profilePowerW } from '../src/physics/profiles.js';
import { closeClient, reader, tcpClient, type Client } from './helpers/client.js';
import { decodePoints, readAll, walkSunSpec } from './helpers/decode.js';

const real = new FakeClock(0);
const START = Date.UTC(2026, 5, 1, 6, 0, 0);
const clock = new SimClock({ startMs: START, acceleration: 3600, real }); // 1 real s = 1 simulated hour
const sdm630 = new SimMeter({ id: 'm630', template: loadTemplate('sdm630'), clock, profile: { kind: 'household', seed: 3 }, initialImportWh: 1_234_000 });
const sdm120 = new SimMeter({ id: 'm120', template: loadTemplate('sdm120'), clock, profile: { kind: 'constant', powerW: 1200 } });
const sunspec = new SimMeter({ id: 'sun', template: loadTemplate('sunspec-meter'), clock, profile: { kind: 'pv', peakW: 5000 } });
const server = new ModbusTcpServer({ devices: new Map([[1, sdm630], [2, sdm120], [3, sunspec]]) });
let client: Client;

test.before(async () => {
  const { port } = await server.start();
  client = await tcpClient(port);
});
test.after(async () => {
  await closeClient(client);
  await server.stop();
});

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (±${tol})`);

test('SDM630: plausible, consistent values decoded from the data file', async () => {
  const t = sdm630.template;
  const v = decodePoints(t, await readAll(t, reader(client, 1)));
  for (const k of ['voltageL1', 'voltageL2', 'voltageL3']) near(v[k]!, 230, 5, k);
  near(v.frequency!, 50, 0.1, 'frequency');
  near(v.power!, v.powerL1! + v.powerL2! + v.powerL3!, 0.01, 'sum of phase powers');
  near(v.power!, profilePowerW({ kind: 'household', seed: 3 }, START), 0.01, 'power follows the profile');
  near(v.currentSum!, v.currentL1! + v.currentL2! + v.currentL3!, 0.001, 'sum of currents');
  near(v.importEnergy!, 1_234_000, 0.2, 'initial import energy (Wh)');
  near(v.importEnergyL1! + v.importEnergyL2! + v.importEnergyL3!, v.importEnergy!, 0.5, 'phase import energies');
  near(v.powerFactor!, 0.95, 1e-6, 'power factor');
  assert.ok(v.voltageThdL1! > 0 && v.voltageThdL1! < 10, 'THD in %');
});

test('SDM630: one 80-register read covers 0x0000..0x004F; reads past the map give exception 2', async () => {
  client.setID(1);
  const r = await client.readInputRegisters(0, 80);
  assert.is(r.data.length, 80);
  try {
    await client.readInputRegisters(0x50, 2);
    assert.unreachable('expected exception');
  } catch (e) {
    assert.is((e as { modbusCode?: number }).modbusCode, 2);
  }
});

test('energy integrates power over simulated hours and never goes backwards', async () => {
  const samples: Record<string, number>[][] = [];
  for (let h = 0; h <= 6; h++) {
    samples.push([
      decodePoints(sdm630.template, await readAll(sdm630.template, reader(client, 1))),
      decodePoints(sdm120.template, await readAll(sdm120.template, reader(client, 2))),
      decodePoints(sunspec.template, await readAll(sunspec.template, reader(client, 3))),
    ]);
    real.advance(1000); // one simulated hour
  }
  // SDM120 at a constant 1200 W: exactly 1.2 kWh per simulated hour.
  samples.forEach((s, h) => near(s[1]!.importEnergy!, 1200 * h, 0.01, `sdm120 import after ${h} h`));
  for (let h = 1; h < samples.length; h++) {
    const [a, b] = [samples[h - 1]!, samples[h]!];
    assert.ok(b[0]!.importEnergy! >= a[0]!.importEnergy!, 'sdm630 import never decreases');
    // A household draws between its base load and a few kW.
    const dWh = b[0]!.importEnergy! - a[0]!.importEnergy!;
    assert.ok(dWh >= 200 && dWh <= 6000, `sdm630 hourly import ${dWh} Wh`);
    const sunA = a[2]!['m203.TotWhExp']!, sunB = b[2]!['m203.TotWhExp']!;
    assert.ok(Number.isNaN(sunA) || sunB >= sunA, 'SunSpec export never decreases');
  }
  // PV from 06:00 to 12:00 UTC exports energy; the float model 213 and the int model 203 agree.
  const last = samples[samples.length - 1]![2]!;
  assert.ok(last['m213.TotWhExp']! > 5000, `PV exported ${last['m213.TotWhExp']} Wh by noon`);
  near(last['m203.TotWhExp']!, last['m213.TotWhExp']!, 1, 'model 203 acc32 vs model 213 float');
  near(last['m203.TotWhExpphA']! + last['m203.TotWhExpphB']! + last['m203.TotWhExpphC']!, last['m203.TotWhExp']!, 3, 'phase exports add up');
  near(last['m213.W']!, last['m213.WphA']! + last['m213.WphB']! + last['m213.WphC']!, 0.01, 'model 213 phase powers');
  near(last['m203.W']!, last['m213.W']!, 2, 'model 203 W (int16, SF 0) vs 213');
  assert.ok(last['m213.W']! < 0, 'PV power is negative (export)');
});

test('SunSpec: marker, Common model, chain 1 → 203 → 213 → 0xFFFF', async () => {
  const read = async (a: number, n: number) => (await reader(client, 3)(3, a, n));
  const models = await walkSunSpec(read);
  assert.equal(models.map((m) => [m.id, m.length]), [[1, 66], [203, 105], [213, 124]]);
  const common = await read(models[0]!.address + 2, 16);
  const mn = Buffer.from(common.flatMap((w) => [w >> 8, w & 0xff])).toString('latin1').replace(/\0+$/, '');
  assert.is(mn, 'LightNode Lab');
  const sf = await read(models[1]!.address + 22, 1); // W_SF
  assert.is(sf[0], 0);
});

test.run();
