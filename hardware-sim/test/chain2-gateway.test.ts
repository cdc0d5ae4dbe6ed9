// The Chain 2 gateway over a real WebSocket (streaming after `!`) and a serial pty: every frame
// parses with the shared Chain 2 model; the malformed mode produces frames it rejects with a reason.
import { SerialPort } from 'serialport';
import WebSocket from 'ws';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChain2Message } from '@lightnode/shared/chain2';
import { Chain2Gateway } from '../src/chain2/gateway.js';
import { SimClock } from '../src/physics/clock.js';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';

// 15 simulated minutes per 100 real ms: a CF1 about every tick.
const clock = new SimClock({ startMs: Date.UTC(2026, 5, 1, 12, 0, 0), acceleration: 9000 });
let pty: PtyPair, gw: Chain2Gateway, wsUrl: string, reader: SerialPort;
const serialLines: string[] = [];

test.before(async () => {
  pty = await startPtyPair();
  // Open the reading end first: bytes written to a pty before its peer is open can be lost.
  reader = new SerialPort({ path: pty.b, baudRate: 115200, lock: false });
  let partial = '';
  reader.on('data', (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop()!;
    serialLines.push(...parts);
  });
  await new Promise((r) => reader.once('open', r));
  gw = new Chain2Gateway({ id: 'gw1', clock, meter: { pod: 'IT001E87654321' }, profile: { kind: 'household' }, initialEnergyWh: 500_000, ws: { port: 0 }, serial: { path: pty.a }, tickMs: 50 });
  wsUrl = (await gw.start()).ws!;
});
test.after(async () => {
  await gw.stop();
  await new Promise((r) => reader.close(r));
  await pty.close();
});

async function until(cond: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  for (let waited = 0; !cond(); waited += 20) {
    if (waited > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function connect(): Promise<{ ws: WebSocket; frames: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const frames: string[] = [];
    ws.on('message', (m) => frames.push(m.toString()));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

test('WebSocket: nothing before `!`, then Chain2Info, state, CF20 and a CF1 stream that parses', async () => {
  const { ws, frames } = await connect();
  await new Promise((r) => setTimeout(r, 300));
  assert.is(frames.length, 0, 'silent until the client sends !');
  ws.send('!');
  await until(() => frames.filter((f) => f.includes('"CF1"')).length >= 4, 'four CF1');
  const msgs = frames.map((f) => parseChain2Message(f));
  assert.is(msgs[0]!.envelope, 'Chain2Info');
  assert.is(msgs[1]!.envelope, 'Chain2State');
  const cf20 = msgs.find((m) => m.envelope === 'Chain2Data' && m.type === 'CF20');
  assert.ok(cf20 && cf20.envelope === 'Chain2Data' && cf20.type === 'CF20' && cf20.payload.POD === 'IT001E87654321');
  const totals = msgs.flatMap((m) => (m.envelope === 'Chain2Data' && m.type === 'CF1' ? [m.payload.TotalActEnergy] : []));
  for (let i = 1; i < totals.length; i++) assert.ok(totals[i]! >= totals[i - 1]!, 'energy never goes backwards');
  assert.ok(totals[0]! >= 500_000);
  ws.close();
});

test('malformed mode: frames rejected by the shared model with a reason, then healthy again', async () => {
  const { ws, frames } = await connect();
  ws.send('!');
  await until(() => frames.length >= 3, 'greeting');
  const from = frames.length;
  const rejectionCodes = (): string[] => frames.slice(from).flatMap((f) => {
    try { parseChain2Message(f); return []; } catch (e) { return [(e as { code: string }).code]; }
  });
  gw.setFaults({ malformed: true });
  // Count rejected frames, not frames: a healthy frame already in flight may arrive first.
  await until(() => rejectionCodes().length >= 5, 'five malformed frames');
  gw.setFaults({});
  const codes = new Set(rejectionCodes());
  assert.equal([...codes].sort(), ['CHAIN2_ENVELOPE_UNKNOWN', 'CHAIN2_FIELD_INVALID', 'CHAIN2_FIELD_MISSING', 'CHAIN2_JSON_INVALID', 'CHAIN2_TYPE_UNKNOWN']);
  const healthyFrom = frames.length + 1; // one frame may already be in flight
  await until(() => frames.length >= healthyFrom + 2, 'healthy frames');
  for (const f of frames.slice(healthyFrom)) parseChain2Message(f);
  ws.close();
});

test('power override produces CF21 and CF22; outage produces CF23', async () => {
  const { ws, frames } = await connect();
  ws.send('!');
  await until(() => frames.length >= 3, 'greeting');
  gw.overrides = { powerW: 5000 };
  await until(() => frames.some((f) => f.includes('"CF22"')), 'CF22');
  gw.overrides = { outage: true };
  await new Promise((r) => setTimeout(r, 200));
  gw.overrides = {};
  await until(() => frames.some((f) => f.includes('"CF23"')), 'CF23');
  const types = frames.map((f) => parseChain2Message(f)).flatMap((m) => (m.envelope === 'Chain2Data' ? [m.type] : []));
  assert.ok(types.includes('CF21'));
  ws.close();
});

test('gateway offline drops WebSocket clients and refuses new ones; back online streams again', async () => {
  const { ws, frames } = await connect();
  ws.send('!');
  await until(() => frames.length >= 3, 'greeting');
  const closed = new Promise((r) => ws.once('close', r));
  gw.setFaults({ offline: true });
  await closed;
  const refused = await connect().then(({ ws: w }) => new Promise((r) => w.once('close', () => r('closed'))), () => 'error');
  assert.ok(['closed', 'error'].includes(refused as string));
  gw.setFaults({});
  const again = await connect();
  again.ws.send('!');
  await until(() => again.frames.length >= 3, 'greeting after coming back');
  assert.is(parseChain2Message(again.frames[0]!).envelope, 'Chain2Info');
  again.ws.close();
});

test('serial line: one JSON per line, all parse, starting with Chain2Info', async () => {
  await until(() => serialLines.length >= 5, 'serial lines');
  assert.is(parseChain2Message(serialLines[0]!).envelope, 'Chain2Info');
  // Every line parses, except the malformed frames of the earlier test (also written to the line).
  let bad = 0;
  for (const l of serialLines) { try { parseChain2Message(l); } catch { bad++; } }
  assert.ok(bad >= 5 && bad <= gw.counters.malformed, `${bad} bad lines, ${gw.counters.malformed} malformed frames emitted`);
  assert.ok(serialLines.length - bad >= 5, 'good lines');
  const n = serialLines.length;
  reader.write('!');
  await until(() => serialLines.slice(n).some((l) => l.includes('"Chain2Info"')), 'greeting again after !');
});

test.run();
