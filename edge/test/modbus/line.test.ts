// ModbusLine logic on a fake clock and a scripted link: FIFO across slave ids, inter-frame gap,
// slave-switch pause, retries queued behind other devices, exponential backoff and skipping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import { ModbusLine } from '../../src/modbus/line.js';
import type { LinkRequest, ModbusLink } from '../../src/modbus/link.js';
import type { Clock } from '../../src/scheduler/clock.js';

/** Fake clock: sleep advances time at once (deterministic). */
function fakeClock(start = 1_000_000): Pick<Clock, 'now' | 'sleep'> & { t: number } {
  const c = { t: start, now: () => c.t, sleep: async (ms: number) => void (c.t += ms) };
  return c;
}

/** A link whose units answer after `costMs` of fake time, or time out (dead units). */
function scriptedLink(clock: { t: number }, dead: Set<number>, costMs = 10): ModbusLink & { log: { unit: number; at: number }[] } {
  const log: { unit: number; at: number }[] = [];
  return {
    name: 'rtu:/fake',
    log,
    async read(req: LinkRequest) {
      log.push({ unit: req.unitId, at: clock.t });
      if (dead.has(req.unitId)) {
        clock.t += req.timeoutMs;
        throw new LightNodeError('EDGE_MODBUS_TIMEOUT', 'no answer', { unitId: req.unitId });
      }
      clock.t += costMs;
      return new Array(req.count).fill(req.unitId);
    },
    async close() {},
  };
}

test('requests are serialised FIFO across slave ids with gap and switch pause', async () => {
  const clock = fakeClock();
  const link = scriptedLink(clock, new Set());
  const line = new ModbusLine(link, { interFrameGapMs: 5, slaveSwitchPauseMs: 200 }, clock);
  const a = line.device({ unitId: 1 });
  const b = line.device({ unitId: 2 });
  const t0 = clock.t;
  await Promise.all([a.readRegisters(4, 0, 2), a.readRegisters(4, 2, 2), b.readRegisters(4, 0, 2), a.readRegisters(4, 4, 2)]);
  assert.equal(link.log.map((l) => l.unit), [1, 1, 2, 1]);
  // 1 at t0; 1 after 10 ms + 5 gap; 2 after a 200 ms switch pause; 1 after another.
  assert.equal(link.log.map((l) => l.at - t0), [0, 15, 225, 435]);
});

test('retries go to the back of the queue; failures back off exponentially and are skipped', async () => {
  const clock = fakeClock();
  const link = scriptedLink(clock, new Set([9]));
  const line = new ModbusLine(link, { interFrameGapMs: 0 }, clock);
  const dead = line.device({ unitId: 9, timeoutMs: 100, retries: 2, backoffBaseMs: 1000, backoffMaxMs: 3000 });
  const live = line.device({ unitId: 1 });
  const deadP = dead.readRegisters(3, 0, 1).catch((e: unknown) => e);
  const liveP = live.readRegisters(3, 0, 1);
  await liveP;
  const err = await deadP;
  assert.ok(isLightNodeError(err, 'EDGE_MODBUS_TIMEOUT'));
  // The live request went between the dead meter's first attempt and its retries.
  assert.equal(link.log.map((l) => l.unit), [9, 1, 9, 9]);
  assert.is(dead.health.consecutiveFailures, 1);
  assert.is(dead.health.backoffUntilMs, clock.t + 1000);
  // Skipped without touching the wire while backing off.
  const skip = await dead.readRegisters(3, 0, 1).catch((e: unknown) => e);
  assert.ok(isLightNodeError(skip, 'EDGE_MODBUS_BACKOFF'));
  assert.is(link.log.length, 4);
  // After the backoff: one probe only (no retries), and the backoff doubles, then caps.
  const backoffs: number[] = [];
  for (let i = 0; i < 3; i++) {
    clock.t = dead.health.backoffUntilMs;
    const before = link.log.length;
    await dead.readRegisters(3, 0, 1).catch(() => {});
    assert.is(link.log.length - before, 1);
    backoffs.push(dead.health.backoffUntilMs - clock.t);
  }
  assert.equal(backoffs, [2000, 3000, 3000]);
});

test('one success resets the backoff', async () => {
  const clock = fakeClock();
  const deadSet = new Set([3]);
  const link = scriptedLink(clock, deadSet);
  const line = new ModbusLine(link, {}, clock);
  const d = line.device({ unitId: 3, timeoutMs: 50, retries: 0, backoffBaseMs: 100 });
  await d.readRegisters(3, 0, 1).catch(() => {});
  assert.is(d.health.consecutiveFailures, 1);
  deadSet.clear();
  clock.t = d.health.backoffUntilMs;
  assert.equal(await d.readRegisters(3, 0, 2), [3, 3]);
  assert.equal(d.health, { consecutiveFailures: 0, backoffUntilMs: 0 });
});

test('exception answers are neither retried nor backed off', async () => {
  const clock = fakeClock();
  let calls = 0;
  const link: ModbusLink = {
    name: 'tcp://fake',
    async read(req) {
      calls++;
      throw new LightNodeError('EDGE_MODBUS_EXCEPTION', 'x', { exceptionCode: 2, unitId: req.unitId });
    },
    async close() {},
  };
  const d = new ModbusLine(link, {}, clock).device({ unitId: 1, retries: 3 });
  const e = await d.readRegisters(3, 0, 1).catch((x: unknown) => x);
  assert.ok(isLightNodeError(e, 'EDGE_MODBUS_EXCEPTION'));
  assert.is(calls, 1);
  assert.is(d.health.consecutiveFailures, 0);
});

test('hostile options are refused', () => {
  const clock = fakeClock();
  const line = new ModbusLine(scriptedLink(clock, new Set()), {}, clock);
  assert.throws(() => line.device({ unitId: 256 }), RangeError);
  assert.throws(() => line.device({ unitId: 1, timeoutMs: 0 }), RangeError);
  assert.throws(() => line.device({ unitId: 1, retries: -1 }), RangeError);
  assert.throws(() => new ModbusLine(scriptedLink(clock, new Set()), { interFrameGapMs: -5 }, clock), RangeError);
});

test.run();
