// Chain 2 source end to end over a real WebSocket gateway and a serial pty: every shared example
// message handled, malformed frames refused with their reason and counted while the source keeps
// running, CF20's PoD checked against the node's PoD.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { SerialPort } from 'serialport';
import { validateReading } from '@lightnode/shared/reading';
import { isLightNodeError } from '@lightnode/shared/errors';
import { createChain2Source, decodeChain2, validateChain2Config } from '../../src/chain2/chain2-decoder.js';
import { Chain2Source } from '../../src/chain2/chain2-source.js';
import { countingMetrics, type ReadingDraft } from '../../src/meters/source.js';
import type { Chain2Transport } from '../../src/chain2/transport.js';
import { startPtyPair } from '@lightnode/test-kit/pty-pair';

const examples = JSON.parse(readFileSync(new URL('../../../shared/vectors/chain2-examples.json', import.meta.url), 'utf8')).messages as Record<string, unknown>;
const POD = 'IT001E12345678';
const text = (name: string) => JSON.stringify(examples[name]);
const cf20 = (pod: string) => {
  const m = JSON.parse(text('CF20'));
  m.Chain2Data.Payload.POD = pod;
  return JSON.stringify(m);
};

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A source fed by hand (no link): for the message-level cases. */
const nullTransport: Chain2Transport = { name: 'none', start() {}, async close() {} };

test('every example message type: data → a draft that makes a valid reading; info/state → nothing', () => {
  const src = new Chain2Source({ id: 'c2', pod: POD, transport: nullTransport, decoder: decodeChain2, clock: { now: () => 1_763_780_000_000, sleep: async () => {} } });
  for (const [name] of Object.entries(examples)) {
    const out = src.handle(text(name));
    if (name === 'Chain2Info' || name === 'Chain2State') {
      assert.is(out, undefined, name);
      continue;
    }
    assert.ok(out && !(out instanceof Error), `${name}: ${String(out)}`);
    const d = out as ReadingDraft;
    assert.is(d.source, 'chain2');
    assert.is(d.meter, 'c2');
    validateReading({ ...d, pod: POD, seq: 1 });
    if (name === 'CF1') {
      assert.is(d.timestamp, 1763780400 * 1000, 'CF1 carries its own measurement time');
      assert.ok(d.values.some((v) => v.quantity === '1-0:1.8.0' && v.value === 1502331 && v.unit === 'Wh'));
    }
  }
});

test('hostile frames are refused with the shared reason code, counted, and the source keeps going', () => {
  const metrics = countingMetrics();
  const src = new Chain2Source({ id: 'c2', pod: POD, transport: nullTransport, decoder: decodeChain2, metrics });
  const cf1 = JSON.parse(text('CF1'));
  const variants: [string, string][] = [
    ['{not json', 'CHAIN2_JSON_INVALID'],
    ['', 'CHAIN2_JSON_INVALID'],
    ['[]', 'CHAIN2_ENVELOPE_UNKNOWN'],
    ['{"Chain3Data":{}}', 'CHAIN2_ENVELOPE_UNKNOWN'],
    [JSON.stringify({ Chain2Data: { ...cf1.Chain2Data, Type: 'CF99' } }), 'CHAIN2_TYPE_UNKNOWN'],
    [JSON.stringify({ Chain2Data: { ...cf1.Chain2Data, Payload: { ...cf1.Chain2Data.Payload, TotalActEnergy: undefined } } }), 'CHAIN2_FIELD_MISSING'],
    [JSON.stringify({ Chain2Data: { ...cf1.Chain2Data, Payload: { ...cf1.Chain2Data.Payload, TotalActEnergy: '1502331' } } }), 'CHAIN2_FIELD_INVALID'],
    [JSON.stringify({ Chain2Data: { ...cf1.Chain2Data, Payload: { ...cf1.Chain2Data.Payload, InstantPower: 1e400 } } }), 'CHAIN2_FIELD_INVALID'],
    [JSON.stringify({ Chain2Data: { ...cf1.Chain2Data, Payload: { ...cf1.Chain2Data.Payload, MeasurePosixTimestamp: 5 } } }), 'CHAIN2_FIELD_INVALID'],
  ];
  for (const [frame, reason] of variants) {
    const out = src.handle(frame);
    assert.ok(isLightNodeError(out, 'EDGE_CHAIN2_FRAME_INVALID'), `${frame.slice(0, 40)}: ${String(out)}`);
    assert.is(out.details.reason, reason, frame.slice(0, 60));
  }
  const total = [...metrics.counts.values()].reduce((a, b) => a + b, 0);
  assert.is(total, variants.length);
  assert.ok(metrics.counts.get('CHAIN2_JSON_INVALID')! >= 2);
  // Still running: a good frame after the bad ones becomes a draft.
  assert.ok(!(src.handle(text('CF1')) instanceof Error));
  assert.equal(src.counters, { messages: variants.length + 1, drafts: 1, rejected: variants.length });
});

test('CF20 PoD check: a foreign PoD is refused and so is that meter’s data until its CF20 matches', () => {
  const metrics = countingMetrics();
  const src = new Chain2Source({ id: 'c2', pod: POD, transport: nullTransport, decoder: decodeChain2, metrics });
  assert.is(src.podCheck('IT001E12345678-2G'), 'unknown');
  const ours = src.handle(cf20(' it001e12345678 '));
  assert.ok(ours && !(ours instanceof Error), 'case and blanks do not matter');
  assert.is(src.podCheck('IT001E12345678-2G'), 'ok');
  const foreign = src.handle(cf20('IT002E99999999'));
  assert.ok(isLightNodeError(foreign, 'EDGE_POD_MISMATCH'));
  assert.is(foreign.details.reported, 'IT002E99999999');
  assert.ok(isLightNodeError(src.handle(text('CF1')), 'EDGE_POD_MISMATCH'));
  assert.is(metrics.counts.get('EDGE_POD_MISMATCH'), 2);
  assert.ok(!(src.handle(cf20(POD)) instanceof Error));
  assert.ok(!(src.handle(text('CF1')) instanceof Error));
});

test('over WebSocket: ! after open, drafts and errors flow, reconnect after the gateway drops', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as AddressInfo).port;
  const sockets: WebSocket[] = [];
  let bangs = 0;
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (d) => {
      if (d.toString() !== '!') return;
      bangs++;
      for (const f of [text('Chain2Info'), text('CF1'), '{bad', cf20(POD), text('CF21')]) ws.send(f);
    });
  });
  const metrics = countingMetrics();
  const src = createChain2Source({ id: 'gw', kind: 'chain2', url: `ws://127.0.0.1:${port}`, reconnectMinMs: 50, reconnectMaxMs: 100 }, { pod: POD, metrics });
  const drafts: ReadingDraft[] = [];
  const errors: string[] = [];
  try {
    src.start((d) => drafts.push(d), (e) => errors.push(isLightNodeError(e) ? e.code : e.message));
    await until(() => drafts.length === 3);
    assert.equal(errors, ['EDGE_CHAIN2_FRAME_INVALID']);
    sockets[0]!.terminate();
    await until(() => bangs === 2 && drafts.length === 6);
    assert.ok(errors.includes('EDGE_CHAIN2_CONNECTION'));
    assert.is(metrics.counts.get('CHAIN2_JSON_INVALID'), 2);
  } finally {
    await src.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
});

test('over a serial pty: one JSON object per line', async () => {
  const pty = await startPtyPair();
  const gw = new SerialPort({ path: pty.b, baudRate: 115200, autoOpen: false, lock: false });
  const src = createChain2Source({ id: 'c2s', kind: 'chain2', transport: 'serial', path: pty.a }, { pod: POD });
  try {
    await new Promise<void>((res, rej) => gw.open((e) => (e ? rej(e) : res())));
    const drafts: ReadingDraft[] = [];
    const errors: string[] = [];
    src.start((d) => drafts.push(d), (e) => errors.push(isLightNodeError(e) ? e.code : e.message));
    // The source's port opens asynchronously: resend the frames until they are heard.
    const frames = `${text('CF1')}\r\n{"broken"\n${text('CF23')}\n`;
    for (let i = 0; i < 50 && drafts.length < 2; i++) {
      gw.write(frames);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(drafts.length >= 2, `drafts: ${drafts.length}`);
    assert.ok(drafts.some((d) => d.values.some((v) => v.quantity === '1-0:128.7.0' && v.value === 342)), 'CF23 outage duration');
    assert.ok(errors.includes('EDGE_CHAIN2_FRAME_INVALID'));
  } finally {
    await src.close();
    if (gw.isOpen) await new Promise((r) => gw.close(r));
    await pty.close();
  }
});

test('config entries are validated naming the field', () => {
  assert.equal(validateChain2Config({ id: 'gw', kind: 'chain2', url: 'ws://10.0.0.5:81' }), { id: 'gw', transport: 'ws', url: 'ws://10.0.0.5:81' });
  const bad: [unknown, string][] = [
    [{ id: 'gw', url: 'http://x' }, 'm.url'],
    [{ id: 'gw', transport: 'serial' }, 'm.path'],
    [{ id: 'g w', url: 'ws://x' }, 'm.id'],
    [{ id: 'gw', url: 'ws://x', reconnectMinMs: 0 }, 'm.reconnectMinMs'],
    [{ id: 'gw', url: 'ws://x', reconnectMinMs: 500, reconnectMaxMs: 100 }, 'm.reconnectMaxMs'],
    [{ id: 'gw', url: 'ws://x', extra: 1 }, 'm.extra'],
    [{ id: 'gw', transport: 'mqtt' }, 'm.transport'],
  ];
  for (const [cfg, field] of bad) {
    try {
      validateChain2Config(cfg, 'm');
      assert.unreachable(JSON.stringify(cfg));
    } catch (e) {
      assert.ok(isLightNodeError(e, 'CONFIG_INVALID'), String(e));
      assert.is(e.details.field, field);
    }
  }
});

test.run();
