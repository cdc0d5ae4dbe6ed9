// The pure physical model and clock: energy integrates power and never goes backwards, phases
// add up to totals, noise stays plausible, acceleration scales time; all on a fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock, SimClock } from '../src/physics/clock.js';
import { advanceMeter, initialMeterState, snapshotMeter, type MeterModelConfig } from '../src/physics/meter-model.js';
import { profilePowerW } from '../src/physics/profiles.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);

test('SimClock scales injected real time by the acceleration factor', () => {
  const real = new FakeClock(500);
  const c = new SimClock({ startMs: T0, acceleration: 900, real });
  assert.is(c.nowMs(), T0);
  real.advance(1000);
  assert.is(c.nowMs(), T0 + 900_000);
  assert.throws(() => new SimClock({ acceleration: 0 }), /acceleration/);
});

test('constant power integrates exactly; import/export split by sign', () => {
  const cfg: MeterModelConfig = { phases: 3, profile: { kind: 'constant', powerW: -1500 } };
  let s = initialMeterState(cfg, T0, 100, 0);
  s = advanceMeter(cfg, s, T0 + 2 * H);
  const snap = snapshotMeter(cfg, s);
  assert.ok(Math.abs(snap['energyExport.total']! - 3000) < 1e-6);
  assert.ok(Math.abs(snap['energyImport.total']! - 100) < 1e-9);
  assert.ok(Math.abs(snap['energyExport.L1']! + snap['energyExport.L2']! + snap['energyExport.L3']! - snap['energyExport.total']!) < 1e-9);
});

test('a simulated week of prosumer load: counters monotonic, integral matches the profile', () => {
  const cfg: MeterModelConfig = { phases: 3, profile: { kind: 'prosumer', seed: 9 } };
  let s = initialMeterState(cfg, T0);
  let prev = { imp: 0, exp: 0 };
  let expectedImp = 0, expectedExp = 0;
  for (let t = T0; t < T0 + 7 * 24 * H; t += 60_000) {
    // Independent integral with 1-minute midpoint samples of the profile.
    const p = profilePowerW(cfg.profile, t + 30_000);
    if (p >= 0) expectedImp += p / 60; else expectedExp += -p / 60;
  }
  for (let t = T0 + H; t <= T0 + 7 * 24 * H; t += H) {
    s = advanceMeter(cfg, s, t);
    const snap = snapshotMeter(cfg, s);
    assert.ok(snap['energyImport.total']! >= prev.imp && snap['energyExport.total']! >= prev.exp, 'never backwards');
    prev = { imp: snap['energyImport.total']!, exp: snap['energyExport.total']! };
  }
  assert.ok(Math.abs(prev.imp - expectedImp) / expectedImp < 0.02, `import ${prev.imp} vs ${expectedImp}`);
  assert.ok(Math.abs(prev.exp - expectedExp) / expectedExp < 0.02, `export ${prev.exp} vs ${expectedExp}`);
  assert.ok(prev.exp > 0 && prev.imp > 0, 'a prosumer both imports and exports');
});

test('advancing to an earlier time changes nothing', () => {
  const cfg: MeterModelConfig = { phases: 1, profile: { kind: 'household' } };
  const s = advanceMeter(cfg, initialMeterState(cfg, T0), T0 + H);
  assert.is(advanceMeter(cfg, s, T0), s);
});

test('voltage and frequency noise stays plausible; values add up per phase', () => {
  const cfg: MeterModelConfig = { phases: 3, profile: { kind: 'household' }, seed: 4 };
  let s = initialMeterState(cfg, T0);
  const volts: number[] = [];
  for (let i = 1; i <= 500; i++) {
    s = advanceMeter(cfg, s, T0 + i * 7_000);
    const snap = snapshotMeter(cfg, s);
    volts.push(snap['voltage.L1']!);
    assert.ok(Math.abs(snap['frequency']! - 50) <= 0.06 + 1e-9);
    assert.ok(Math.abs(snap['power.L1']! + snap['power.L2']! + snap['power.L3']! - snap['power.total']!) < 1e-9);
    assert.ok(Math.abs(snap['current.L1']! + snap['current.L2']! + snap['current.L3']! - snap['current.sum']!) < 1e-9);
  }
  assert.ok(volts.every((v) => v > 225 && v < 235));
  assert.ok(new Set(volts.map((v) => v.toFixed(2))).size > 100, 'voltage is noisy');
});

test('profiles: household imports, PV exports only in daylight', () => {
  for (let h = 0; h < 24; h++) {
    assert.ok(profilePowerW({ kind: 'household' }, T0 + h * H) > 0);
    const pv = profilePowerW({ kind: 'pv', peakW: 4000 }, T0 + h * H);
    if (h <= 6 || h >= 18) assert.is(pv, 0); else assert.ok(pv < 0 && pv >= -4000);
  }
});

test.run();
