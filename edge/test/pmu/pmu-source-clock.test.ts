// The PMU source's link logic on a fake clock and fake sockets: reconnect delays double from
// reconnectMinMs to reconnectMaxMs (jitter pinned), reset after data flows; a stream silent for
// stallTimeoutMs is dropped and reopened; a connect that hangs is abandoned at connectTimeoutMs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { COMMANDS, decodeCommandFrame } from '@lightnode/shared/c37118/command-frame';
import { encodeConfigFrame } from '@lightnode/shared/c37118/config-frame';
import { encodeDataFrame } from '@lightnode/shared/c37118/data-frame';
import { pmuConfigFrame, pmuDataFrame, frameTime } from '@lightnode/hardware-sim/pmu/pmu-generator';
import { isLightNodeError } from '@lightnode/shared/errors';
import { FakeClock } from '../../src/scheduler/clock.js';
import { PmuSource } from '../../src/pmu/pmu-source.js';
import { validatePmuConfig } from '../../src/pmu/pmu-config.js';

/** A socket double: records writes, lets the test connect, feed bytes and close it. */
class FakeSocket extends EventEmitter {
  writes: number[] = [];
  destroyed = false;
  setNoDelay(): this { return this; }
  write(b: Uint8Array): boolean { this.writes.push(decodeCommandFrame(b).cmd); return true; }
  destroy(err?: Error): this { if (!this.destroyed) { this.destroyed = true; this.emit('close', err !== undefined); } return this; }
}

function setup() {
  const clock = new FakeClock(1_700_000_000_000);
  const sockets: FakeSocket[] = [];
  const errors: string[] = [];
  const drafts: number[] = [];
  const src = new PmuSource({
    config: validatePmuConfig({ id: 'p', kind: 'pmu', host: 'pmu', idcode: 7, connectTimeoutMs: 1000, stallTimeoutMs: 500, reconnectMinMs: 100, reconnectMaxMs: 800 }),
    clock, random: () => 0.5, // 'tenth' jitter: cap × (0.9 + 0.2 × 0.5) = cap
    connect: () => { const s = new FakeSocket(); sockets.push(s); return s as unknown as Socket; },
  });
  src.start((d) => drafts.push(d.timestamp), (e) => errors.push(isLightNodeError(e) ? e.code : String(e)));
  return { clock, sockets, errors, drafts, src };
}

test('reconnect delays double up to the ceiling while the PMU refuses', async () => {
  const { clock, sockets, errors, src } = setup();
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = sockets.at(-1)!;
    s.destroy(new Error('ECONNREFUSED'));
    const n = sockets.length;
    let waited = 0;
    while (sockets.length === n) { await clock.advance(10); waited += 10; }
    delays.push(waited);
  }
  assert.equal(delays, [100, 200, 400, 800, 800]);
  assert.ok(errors.every((e) => e === 'EDGE_PMU_CONNECTION') && errors.length === 5);
  await src.close();
});

test('CFG-2 then data on; data resets the backoff; a silent stream is reopened; a hung connect is abandoned', async () => {
  const { clock, sockets, errors, drafts, src } = setup();
  const cfg = pmuConfigFrame({ idcode: 7, stn: 'F', rateFps: 50 }, 0, 1_700_000_000);
  const s0 = sockets[0]!;
  s0.emit('connect');
  assert.equal(s0.writes, [COMMANDS.sendCfg2]);
  s0.emit('data', Buffer.from(encodeConfigFrame(cfg)));
  assert.equal(s0.writes, [COMMANDS.sendCfg2, COMMANDS.dataOn]);
  for (let n = 0; n < 3; n++) {
    s0.emit('data', Buffer.from(encodeDataFrame(pmuDataFrame({ idcode: 7, stn: 'F' }, cfg, frameTime(1_700_000_000, 50, n)), cfg)));
    await clock.advance(20);
  }
  assert.equal(drafts, [1_700_000_000_000, 1_700_000_000_020, 1_700_000_000_040]);
  await clock.advance(500); // silence
  assert.ok(errors.includes('EDGE_PMU_STALLED'));
  assert.ok(s0.destroyed);
  await clock.advance(100); // first delay again: the backoff was reset by the data
  assert.is(sockets.length, 2);
  await clock.advance(1000); // never connects
  assert.ok(sockets[1]!.destroyed, 'connect abandoned after connectTimeoutMs');
  await src.close();
});

test('an unanswered "send CFG-2" is sent again every second; held frames are read once it comes', async () => {
  const { clock, sockets, drafts, src } = setup();
  const cfg = pmuConfigFrame({ idcode: 7, stn: 'F', rateFps: 50 }, 0, 1_700_000_000);
  const s0 = sockets[0]!;
  s0.emit('connect');
  // Data keeps flowing (so the stall timer never fires) while the CFG-2 request goes unanswered.
  for (let n = 0; n < 6; n++) {
    s0.emit('data', Buffer.from(encodeDataFrame(pmuDataFrame({ idcode: 7, stn: 'F' }, cfg, frameTime(1_700_000_000, 50, n)), cfg)));
    await clock.advance(200);
  }
  assert.equal(s0.writes, [COMMANDS.sendCfg2, COMMANDS.sendCfg2], 'asked again after 1 s');
  assert.equal(drafts, [], 'frames held, not read without a configuration');
  s0.emit('data', Buffer.from(encodeConfigFrame(cfg)));
  assert.equal(drafts, [0, 20, 40, 60, 80, 100].map((ms) => 1_700_000_000_000 + ms));
  s0.emit('data', Buffer.from(encodeDataFrame(pmuDataFrame({ idcode: 7, stn: 'F' }, cfg, frameTime(1_700_000_000, 50, 6)), cfg)));
  await clock.advance(300);
  s0.emit('data', Buffer.from(encodeDataFrame(pmuDataFrame({ idcode: 7, stn: 'F' }, cfg, frameTime(1_700_000_000, 50, 7)), cfg)));
  await clock.advance(300);
  s0.emit('data', Buffer.from(encodeDataFrame(pmuDataFrame({ idcode: 7, stn: 'F' }, cfg, frameTime(1_700_000_000, 50, 8)), cfg)));
  await clock.advance(300);
  assert.equal(s0.writes, [COMMANDS.sendCfg2, COMMANDS.sendCfg2, COMMANDS.dataOn], 'no more asking once answered');
  await src.close();
});

test.run();
