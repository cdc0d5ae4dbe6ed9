// The PMU simulator over a real TCP socket: CFG-2 and header on command, data on/off, 50 fps
// frames that decode with the shared C37.118 codec with none missing, and every fault mode seen
// as itself by a PDC (bad CRC, wrong IDCODE, time jump, configuration change, stalled stream).
import { connect, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS, encodeCommandFrame, decodeHeaderFrame } from '@lightnode/shared/c37118/command-frame';
import { decodeConfigFrame, type ConfigFrame } from '@lightnode/shared/c37118/config-frame';
import { decodeDataFrame, encodeDataFrame } from '@lightnode/shared/c37118/data-frame';
import { frameLengthAt, peekFrameType } from '@lightnode/shared/c37118/frame';
import { pmuValues } from '@lightnode/shared/c37118/pmu-values';
import { isLightNodeError } from '@lightnode/shared/errors';
import { PmuServer, validatePmuFaults } from '../src/pmu/pmu-server.js';
import { pmuConfigFrame, pmuDataFrame, frameTime } from '../src/pmu/pmu-generator.js';
import { SimClock } from '../src/physics/clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, limitMs = 5000): Promise<void> {
  for (let waited = 0; !cond(); waited += 10) {
    if (waited > limitMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A minimal PDC for the tests: sends commands, splits the stream into frames. */
class Pdc {
  frames: Uint8Array[] = [];
  private buf = Buffer.alloc(0);
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (let len = frameLengthAt(this.buf); len !== null && len > 0 && this.buf.length >= len; len = frameLengthAt(this.buf)) {
        this.frames.push(Uint8Array.from(this.buf.subarray(0, len)));
        this.buf = this.buf.subarray(len);
      }
    });
  }
  static async open(port: number): Promise<Pdc> {
    const s = connect(port, '127.0.0.1');
    await new Promise((r, j) => { s.once('connect', r); s.once('error', j); });
    return new Pdc(s);
  }
  send(cmd: number): void { this.socket.write(encodeCommandFrame({ version: 2, idcode: 7, soc: 1_700_000_000, fracsec: 0, timeQuality: 0, cmd })); }
  of(type: string): Uint8Array[] { return this.frames.filter((f) => peekFrameType(f) === type); }
  async cfg2(): Promise<ConfigFrame> {
    const before = this.of('cfg2').length;
    this.send(COMMANDS.sendCfg2);
    await until(() => this.of('cfg2').length > before, 'CFG-2');
    return decodeConfigFrame(this.of('cfg2').at(-1)!);
  }
  close(): void { this.socket.destroy(); }
}

const clock = new SimClock({});
let sim: PmuServer, port: number;
test.before(async () => {
  sim = new PmuServer({ sim: { idcode: 7, stn: 'LAB_PMU_1', rateFps: 50 }, clock, port: 0, cfgChangeLeadFrames: 10 });
  port = (await sim.start()).port;
});
test.after(async () => { await sim.stop(); });

test('generator: int and float layouts encode and decode through the shared codec, values follow the lab physics', () => {
  for (const float of [true, false]) {
    const c = { idcode: 3, stn: 'G', float, voltages: 3, currents: 2 };
    const cfg = pmuConfigFrame(c, 0, 1_700_000_000);
    const t = frameTime(1_700_000_000, 50, 26);
    assert.equal(t, { soc: 1_700_000_000, fracsec: 520_000, ms: 1_700_000_000_520 });
    const frame = pmuDataFrame(c, cfg, t);
    const back = decodeDataFrame(encodeDataFrame(frame, cfg), cfg);
    const v = pmuValues(cfg.pmus[0]!, back.pmus[0]!);
    assert.is(v.phasors.length, 5);
    assert.ok(Math.abs(v.phasors[0]!.magnitude - 230) < 10, `V ${v.phasors[0]!.magnitude}`);
    assert.ok(Math.abs(v.freqHz - 50) < 0.05, `f ${v.freqHz}`);
    // Balanced three-phase: B lags A by 120°.
    const d = (v.phasors[0]!.angleRad - v.phasors[1]!.angleRad + 4 * Math.PI) % (2 * Math.PI);
    assert.ok(Math.abs(d - (2 * Math.PI) / 3) < 1e-3, `A−B ${d}`);
  }
});

test('CFG-2 and header on command; nothing streams before data on', async () => {
  const pdc = await Pdc.open(port);
  const cfg = await pdc.cfg2();
  assert.is(cfg.idcode, 7);
  assert.is(cfg.dataRate, 50);
  assert.is(cfg.pmus[0]!.phasors.length, 6);
  pdc.send(COMMANDS.sendHeader);
  await until(() => pdc.of('header').length === 1, 'header');
  assert.match(decodeHeaderFrame(pdc.of('header')[0]!).text, 'LAB_PMU_1');
  await sleep(100);
  assert.is(pdc.of('data').length, 0);
  pdc.close();
});

test('data on: 50 fps frames, 20 ms apart, none missing or doubled; data off stops them', async () => {
  const pdc = await Pdc.open(port);
  const cfg = await pdc.cfg2();
  pdc.send(COMMANDS.dataOn);
  await until(() => pdc.of('data').length >= 50, 'a second of data');
  const ms = pdc.of('data').map((b) => { const f = decodeDataFrame(b, cfg); return f.soc * 1000 + f.fracsec / 1000; });
  for (let i = 1; i < ms.length; i++) assert.is(ms[i]! - ms[i - 1]!, 20, `frame ${i}`);
  pdc.send(COMMANDS.dataOff);
  await sleep(60);
  const n = pdc.of('data').length;
  await sleep(150);
  assert.is(pdc.of('data').length, n, 'no data after data off');
  pdc.close();
});

async function streaming(): Promise<{ pdc: Pdc; cfg: ConfigFrame }> {
  const pdc = await Pdc.open(port);
  const cfg = await pdc.cfg2();
  pdc.send(COMMANDS.dataOn);
  await until(() => pdc.of('data').length >= 3, 'data');
  return { pdc, cfg };
}
function codeOf(fn: () => unknown): string | null {
  try { fn(); return null; } catch (e) { return isLightNodeError(e) ? e.code : String(e); }
}

test('faults: bad CRC and wrong IDCODE are refused by the codec as themselves', async () => {
  const { pdc, cfg } = await streaming();
  sim.setFaults({ badCrc: true });
  let from = pdc.of('data').length + 2;
  await until(() => pdc.of('data').length >= from + 5, 'bad-CRC frames');
  assert.is(codeOf(() => decodeDataFrame(pdc.of('data').at(-1)!, cfg)), 'C37_CRC_MISMATCH');
  sim.setFaults({ wrongIdcode: true });
  from = pdc.of('data').length + 2;
  await until(() => pdc.of('data').length >= from + 5, 'wrong-IDCODE frames');
  assert.is(codeOf(() => decodeDataFrame(pdc.of('data').at(-1)!, cfg)), 'C37_CONFIG_MISMATCH');
  sim.setFaults({});
  from = pdc.of('data').length + 2;
  await until(() => pdc.of('data').length >= from + 3, 'good frames again');
  assert.is(codeOf(() => decodeDataFrame(pdc.of('data').at(-1)!, cfg)), null);
  pdc.close();
});

test('faults: a time jump shifts SOC; a stalled stream keeps the socket open and sends nothing', async () => {
  const { pdc, cfg } = await streaming();
  sim.setFaults({ timeJumpSec: 3600 });
  let from = pdc.of('data').length + 2;
  await until(() => pdc.of('data').length >= from + 2, 'jumped frames');
  const jumped = decodeDataFrame(pdc.of('data').at(-1)!, cfg);
  assert.ok(jumped.soc - Math.floor(clock.nowMs() / 1000) >= 3599, 'SOC an hour ahead');
  sim.setFaults({ stalled: true });
  await sleep(60);
  const n = pdc.of('data').length;
  await sleep(200);
  assert.is(pdc.of('data').length, n, 'stalled: no frames');
  assert.not.ok(pdc.socket.destroyed, 'connection still open');
  assert.ok(sim.counters.lost > 0);
  sim.setFaults({});
  await until(() => pdc.of('data').length > n + 2, 'stream resumes');
  pdc.close();
});

test('faults: configuration change — STAT bit 10 first, then a new layout with CFGCNT + 1', async () => {
  const { pdc, cfg } = await streaming();
  assert.is(cfg.pmus[0]!.cfgcnt, 0);
  sim.changeConfiguration({ currents: 0 });
  await until(() => pdc.of('data').some((b) => codeOf(() => decodeDataFrame(b, cfg)) === 'C37_CONFIG_MISMATCH'), 'frames of the new layout');
  const stats = pdc.of('data').map((b) => codeOf(() => decodeDataFrame(b, cfg)) === null ? decodeDataFrame(b, cfg).pmus[0]!.stat : -1);
  const firstNew = stats.indexOf(-1);
  assert.ok(stats.slice(0, firstNew).filter((s) => s & 0x0400).length >= 9, 'STAT bit 10 set before the change');
  const next = await pdc.cfg2();
  assert.is(next.pmus[0]!.cfgcnt, 1);
  assert.is(next.pmus[0]!.phasors.length, 3);
  assert.is(codeOf(() => decodeDataFrame(pdc.of('data').at(-1)!, next)), null, 'new frames decode under the new CFG-2');
  pdc.close();
});

test('offline refuses connections; fault objects are validated', async () => {
  sim.setFaults({ offline: true });
  const s = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('close', r));
  sim.setFaults({});
  assert.throws(() => validatePmuFaults({ badCrc: 'yes' }), (e: unknown) => isLightNodeError(e, 'SIM_FAULT_INVALID'));
  assert.throws(() => validatePmuFaults({ nope: true }), (e: unknown) => isLightNodeError(e, 'SIM_FAULT_INVALID'));
});

test.run();
