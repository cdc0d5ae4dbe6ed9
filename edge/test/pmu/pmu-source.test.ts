// The PMU source against the hardware simulator's PMU over real TCP: CFG-2 then data on, one
// draft per frame with the PMU's time and the frame's SHA-256 as source (the frame kept by the
// sink), and each simulator fault observed as itself — bad CRC and wrong IDCODE refused with the
// codec's reason, a time jump reported, a stalled stream reopened, a configuration change
// followed without losing a frame, the PMU going away and coming back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { validateReading } from '@lightnode/shared/reading';
import { PmuServer } from '@lightnode/hardware-sim/pmu/pmu-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import { PmuSource } from '../../src/pmu/pmu-source.js';
import { validatePmuConfig } from '../../src/pmu/pmu-config.js';
import { memoryFrameSink } from '../../src/pmu/frame-sink.js';
import { countingMetrics, type ReadingDraft } from '../../src/meters/source.js';
import { isLightNodeError } from '@lightnode/shared/errors';

const POD = 'IT001E12345678';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 6000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let sim: PmuServer, port: number;
test.before(async () => {
  sim = new PmuServer({ sim: { idcode: 7, stn: 'LAB_PMU_1', rateFps: 50 }, clock: new SimClock({}), port: 0, cfgChangeLeadFrames: 10 });
  port = (await sim.start()).port;
});
test.after(async () => { await sim.stop(); });

function source(over: Record<string, unknown> = {}) {
  const metrics = countingMetrics();
  const sink = memoryFrameSink();
  const src = new PmuSource({ config: validatePmuConfig({ id: 'pmu1', kind: 'pmu', host: '127.0.0.1', port, idcode: 7, stallTimeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 200, ...over }), metrics, sink });
  const drafts: ReadingDraft[] = [];
  const errors: { code: string; reason?: unknown }[] = [];
  src.start((d) => drafts.push(d), (e) => errors.push({ code: isLightNodeError(e) ? e.code : String(e), reason: isLightNodeError(e) ? e.details.reason : undefined }));
  return { src, drafts, errors, metrics, sink };
}

/** Drafts 20 ms apart with no gap or repeat (what "none missing or doubled" means at 50 fps). */
function assertContiguous(drafts: ReadingDraft[], what: string): void {
  for (let i = 1; i < drafts.length; i++) assert.is(drafts[i]!.timestamp - drafts[i - 1]!.timestamp, 20, `${what}: draft ${i}`);
}

test('config: defaults, and a bad field named', () => {
  const c = validatePmuConfig({ id: 'p', kind: 'pmu', host: 'pmu.local' });
  assert.equal([c.port, c.idcode, c.stallTimeoutMs, c.reconnectMinMs], [4712, 1, 5000, 1000]);
  assert.throws(() => validatePmuConfig({ id: 'p', kind: 'pmu', host: 'h', port: 0 }), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID') && e.details.field === 'meter.port');
  assert.throws(() => validatePmuConfig({ id: 'p', kind: 'pmu', host: 'h', rate: 5 }), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID'));
});

test('CFG-2, data on, one valid draft per frame at 50 fps, sourced by the SHA-256 of the kept frame', async () => {
  const s = source();
  try {
    await until(() => s.drafts.length >= 50, 'a second of drafts');
    assert.is(s.src.config()!.idcode, 7);
    assertContiguous(s.drafts, 'stream');
    const kept = new Map(s.sink.frames.map((f) => [bytesToHex(sha256(f)), f]));
    for (const d of s.drafts) {
      validateReading({ ...d, pod: POD, seq: 1 });
      assert.ok(kept.has(d.source.slice('c37118:'.length)), 'the frame behind the reading is kept');
    }
    const v = Object.fromEntries(s.drafts[0]!.values.map((m) => [m.quantity, m]));
    assert.ok(Math.abs(v['1-0:32.7.0']!.value / 100 - 230) < 10);
    assert.ok(Math.abs(v['1-0:14.7.0']!.value / 1000 - 50) < 0.05);
    assert.ok('1-0:128.13.0' in v && '1-0:128.11.2' in v && '1-0:71.7.0' in v);
    assert.equal(s.errors, []);
  } finally { await s.src.close(); }
});

test('faults: bad CRC and wrong IDCODE are refused with the codec reason; the stream goes on', async () => {
  const s = source();
  try {
    await until(() => s.drafts.length >= 5, 'drafts');
    sim.setFaults({ badCrc: true });
    await until(() => s.errors.filter((e) => e.reason === 'C37_CRC_MISMATCH').length >= 3, 'CRC refusals');
    sim.setFaults({ wrongIdcode: true });
    await until(() => s.errors.filter((e) => e.reason === 'C37_CONFIG_MISMATCH').length >= 3, 'IDCODE refusals');
    sim.setFaults({});
    const n = s.drafts.length;
    await until(() => s.drafts.length >= n + 5, 'drafts again');
    assert.ok(s.errors.every((e) => e.code === 'EDGE_PMU_FRAME_INVALID' || e.code === 'EDGE_PMU_TIME_JUMP'), JSON.stringify(s.errors.slice(0, 3)));
    assert.ok((s.metrics.counts.get('C37_CRC_MISMATCH') ?? 0) >= 3);
  } finally { await s.src.close(); sim.setFaults({}); }
});

test('faults: a time jump is reported and still read; a stalled stream is reopened and resumes', async () => {
  const s = source();
  try {
    await until(() => s.drafts.length >= 5, 'drafts');
    sim.setFaults({ timeJumpSec: 3600 });
    await until(() => s.errors.some((e) => e.code === 'EDGE_PMU_TIME_JUMP'), 'time jump');
    await until(() => s.drafts.at(-1)!.timestamp > Date.now() + 3_000_000, 'jumped readings');
    sim.setFaults({ stalled: true });
    await until(() => s.errors.some((e) => e.code === 'EDGE_PMU_STALLED'), 'stall detected');
    sim.setFaults({});
    const n = s.drafts.length;
    await until(() => s.drafts.length >= n + 5 && s.src.counters.connects >= 2, 'resumed on a new link');
  } finally { await s.src.close(); sim.setFaults({}); }
});

test('configuration change: STAT bit 10, new CFG-2 fetched, no frame lost or doubled across the change', async () => {
  const s = source();
  try {
    await until(() => s.drafts.length >= 5, 'drafts');
    const before = s.src.counters.configs;
    sim.changeConfiguration({ currents: 1 });
    await until(() => s.src.counters.configs > before && s.drafts.length > 0 && !s.drafts.at(-1)!.values.some((v) => v.quantity === '1-0:51.7.0'), 'drafts under the new layout');
    await sleep(100);
    assert.is(s.src.config()!.pmus[0]!.cfgcnt, 1);
    assertContiguous(s.drafts, 'across the change');
    assert.ok(s.drafts.some((d) => d.values.find((v) => v.quantity === '0-0:128.15.0')!.value & 0x0400), 'STAT bit 10 was signed');
    assert.equal(s.errors, []);
  } finally { await s.src.close(); }
});

test('the PMU goes offline: EDGE_PMU_CONNECTION with backoff, then it comes back', async () => {
  const s = source();
  try {
    await until(() => s.drafts.length >= 5, 'drafts');
    sim.setFaults({ offline: true });
    await until(() => s.errors.filter((e) => e.code === 'EDGE_PMU_CONNECTION').length >= 2, 'reconnect attempts');
    sim.setFaults({});
    const n = s.drafts.length;
    await until(() => s.drafts.length >= n + 10, 'back');
  } finally { await s.src.close(); sim.setFaults({}); }
});

test.run();
