// Chain 2 source against the hardware simulator's gateway (@lightnode/hardware-sim): drafts over
// WebSocket and serial, malformed frames refused with their reason while the source keeps
// running, a gateway of another PoD refused, reconnect after the gateway goes offline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateReading } from '@lightnode/shared/reading';
import { Chain2Gateway } from '@lightnode/hardware-sim/chain2/gateway';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import { createChain2Source } from '../../src/chain2/chain2-decoder.js';
import { countingMetrics, type ReadingDraft } from '../../src/meters/source.js';
import { startPtyPair } from '@lightnode/test-kit/pty-pair';

const POD = 'IT001E12345678';
// One real second = one simulated hour: a CF1 (quarter-hour) every 250 ms.
const clock = () => new SimClock({ startMs: Date.UTC(2026, 5, 1, 10, 0, 0), acceleration: 3600 });

const until = async (cond: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

function collect() {
  const drafts: ReadingDraft[] = [];
  const errors: { code: string; reason?: unknown }[] = [];
  return {
    drafts,
    errors,
    onDraft: (d: ReadingDraft) => drafts.push(d),
    onError: (e: Error) => errors.push({ code: (e as unknown as { code: string }).code, reason: (e as unknown as { details?: { reason?: unknown } }).details?.reason }),
  };
}

test('WebSocket gateway: CF20 matches, CF1 drafts make valid readings; malformed frames are refused and counted', async () => {
  const gw = new Chain2Gateway({ id: 'gw1', clock: clock(), meter: { pod: POD }, profile: { kind: 'constant', powerW: 1800 }, ws: {}, initialEnergyWh: 1_000_000 });
  const { ws } = await gw.start();
  const metrics = countingMetrics();
  const src = createChain2Source({ id: 'chain2', kind: 'chain2', url: ws!, reconnectMinMs: 50, reconnectMaxMs: 200 }, { pod: POD, metrics });
  const c = collect();
  try {
    src.start(c.onDraft, c.onError);
    await until(() => c.drafts.some((d) => d.values.some((v) => v.quantity === '1-0:1.8.0')));
    assert.is(src.podCheck(`${POD}-2G`), 'ok');
    for (const d of c.drafts) validateReading({ ...d, pod: POD, seq: 0 });
    const cf1 = c.drafts.find((d) => d.values.some((v) => v.quantity === '1-0:1.8.0'))!;
    assert.ok(cf1.values.find((v) => v.quantity === '1-0:1.8.0')!.value >= 1_000_000);
    assert.equal(c.errors, []);
    // Malformed frames: each refused with its reason; the source keeps running.
    gw.setFaults({ malformed: true });
    await until(() => c.errors.length >= 5);
    assert.ok(c.errors.every((e) => e.code === 'EDGE_CHAIN2_FRAME_INVALID'), JSON.stringify(c.errors));
    const reasons = new Set(c.errors.map((e) => e.reason));
    for (const r of ['CHAIN2_JSON_INVALID', 'CHAIN2_ENVELOPE_UNKNOWN', 'CHAIN2_TYPE_UNKNOWN', 'CHAIN2_FIELD_MISSING', 'CHAIN2_FIELD_INVALID']) assert.ok(reasons.has(r), `${r} in ${[...reasons].join(',')}`);
    const counted = ['CHAIN2_JSON_INVALID', 'CHAIN2_ENVELOPE_UNKNOWN', 'CHAIN2_TYPE_UNKNOWN', 'CHAIN2_FIELD_MISSING', 'CHAIN2_FIELD_INVALID'].reduce((a, k) => a + (metrics.counts.get(k) ?? 0), 0);
    assert.ok(counted >= 5);
    gw.setFaults({});
    const before = c.drafts.length;
    await until(() => c.drafts.length > before);
    // Gateway offline, then back: the source reconnects by itself.
    gw.setFaults({ offline: true });
    await until(() => c.errors.some((e) => e.code === 'EDGE_CHAIN2_CONNECTION'));
    gw.setFaults({});
    const after = c.drafts.length;
    await until(() => c.drafts.length > after);
  } finally {
    await src.close();
    await gw.stop();
  }
});

test('a gateway reporting another PoD: CF20 refused with EDGE_POD_MISMATCH, its data too', async () => {
  const gw = new Chain2Gateway({ id: 'gw2', clock: clock(), meter: { pod: 'IT002E87654321' }, profile: { kind: 'constant', powerW: 900 }, ws: {} });
  const { ws } = await gw.start();
  const metrics = countingMetrics();
  const src = createChain2Source({ id: 'chain2', kind: 'chain2', url: ws! }, { pod: POD, metrics });
  const c = collect();
  try {
    src.start(c.onDraft, c.onError);
    await until(() => (metrics.counts.get('EDGE_POD_MISMATCH') ?? 0) >= 3);
    assert.equal(c.drafts, []);
    assert.ok(c.errors.every((e) => e.code === 'EDGE_POD_MISMATCH'));
  } finally {
    await src.close();
    await gw.stop();
  }
});

test('serial gateway on a pty: drafts from JSON lines', async () => {
  const pty = await startPtyPair();
  const src = createChain2Source({ id: 'chain2s', kind: 'chain2', transport: 'serial', path: pty.a }, { pod: POD });
  const c = collect();
  src.start(c.onDraft, c.onError);
  // Open the agent side first so the gateway's greeting (with CF20) is not lost.
  await new Promise((r) => setTimeout(r, 200));
  const gw = new Chain2Gateway({ id: 'gw3', clock: clock(), meter: { pod: POD }, profile: { kind: 'constant', powerW: 1200 }, serial: { path: pty.b } });
  try {
    await gw.start();
    await until(() => c.drafts.length >= 2);
    assert.is(src.podCheck(`${POD}-2G`), 'ok');
    assert.ok(c.drafts.every((d) => d.source === 'chain2' && d.meter === 'chain2s'));
  } finally {
    await src.close();
    await gw.stop();
    await pty.close();
  }
});

test.run();
