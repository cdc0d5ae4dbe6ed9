/**
 * The whole agent against a real broker: in-process sources (the meter engine has its own
 * tests), real spool, uplink, fake BAL verifying every signature, /healthz + /metrics over
 * HTTP, and sd_notify READY/WATCHDOG received on a real unix datagram socket (socat).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LightNodeError } from '@lightnode/shared/errors';
import { makeDomain } from '@lightnode/shared/eip712';
import { validateConfig } from '../../src/config.js';
import { startAgent, type Agent } from '../../src/agent.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { createLogger } from '../../src/ops/logger.js';
import type { ReadingDraft, StreamSource } from '../../src/meters/source.js';
import type { SourceFactory } from '../../src/sources.js';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { randomPod, startFakeBal, waitFor, type FakeBal } from '../helpers/broker.js';
import { TEST_REGISTRY } from '../helpers/setup.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-agent-'));
const pod = randomPod();
const key = DeviceKey.generate();
let broker: TestBroker;
let bal: FakeBal;
let agent: Agent;
let socat: ChildProcess;
const notify: string[] = [];
const logs: string[] = [];

const draftOf = (meter: string, value: number): ReadingDraft => ({ meter, timestamp: Date.now(), source: 'modbus', values: [{ quantity: '1-0:1.8.0', value, scale: 0, unit: 'Wh' }] });

let counter = 0;
let stream: { emit(d: ReadingDraft): void } | undefined;
const factory: SourceFactory = (m) => {
  if (m.id === 'dead') return { kind: 'poll', source: { id: m.id, poll: () => Promise.reject(new LightNodeError('EDGE_MODBUS_TIMEOUT', 'no answer')), close: async () => {} } };
  if (m.id === 'nan') return { kind: 'poll', source: { id: m.id, poll: async () => ({ ...draftOf('nan', 0), values: [{ quantity: '1-0:1.8.0', value: Number.NaN, scale: 0, unit: 'Wh' }] }), close: async () => {} } };
  if (m.kind === 'chain2') {
    const s: StreamSource = { id: m.id, start(onDraft) { stream = { emit: onDraft }; }, close: async () => {} };
    return { kind: 'stream', source: s };
  }
  return { kind: 'poll', source: { id: m.id, poll: async () => draftOf(m.id, ++counter), close: async () => {} } };
};

test.before(async () => {
  broker = await startAedes();
  bal = await startFakeBal(broker.url, pod, makeDomain(31337, TEST_REGISTRY), key.address);
  const sock = join(dir, 'notify.sock');
  socat = spawn('socat', ['-u', `UNIX-RECV:${sock}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'ignore'] });
  socat.stdout!.on('data', (d: Buffer) => notify.push(d.toString()));
  await new Promise((r) => setTimeout(r, 300));
  const cfg = validateConfig({
    pod, dataDir: dir, chain: { chainId: 31337, podRegistry: TEST_REGISTRY },
    mqtt: { url: broker.url, protocolVersion: 4, batchSize: 20 },
    meters: [
      { id: 'm1', kind: 'modbus', intervalMs: 100 },
      { id: 'm2', kind: 'modbus', cron: '* * * * * *' },
      { id: 'dead', kind: 'modbus', intervalMs: 200 },
      { id: 'nan', kind: 'modbus', intervalMs: 200 },
      { id: 'c2', kind: 'chain2' },
    ],
    http: { port: 0 },
    watchdogIntervalMs: 1000,
  });
  agent = await startAgent(cfg, { key, sourceFactory: factory, env: { NOTIFY_SOCKET: sock }, logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }) });
});

test.after(async () => {
  await agent?.stop();
  await bal?.close();
  await broker?.close();
  socat?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('readings flow source → signed spool → broker → verified and acked; bad sources counted, agent keeps running', async () => {
  await waitFor(() => bal.stored.size >= 20, 10_000, '20 readings stored');
  stream!.emit(draftOf('c2', 777));
  await waitFor(() => bal.received.some((r) => r.meter === 'c2'), 5000, 'stream reading');
  await waitFor(() => agent.metrics.value('reading_errors_total', { meter: 'dead', code: 'EDGE_MODBUS_TIMEOUT' }) >= 2, 5000, 'dead meter counted');
  await waitFor(() => agent.metrics.value('reading_errors_total', { meter: 'nan', code: 'PROTO_READING_INVALID' }) >= 2, 5000, 'NaN refused');
  await waitFor(() => bal.received.some((r) => r.meter === 'm2'), 3000, 'cron meter');
  assert.is(bal.badSignatures, 0);
  assert.ok(bal.received.every((r) => r.pod === pod));
  assert.not.ok(bal.received.some((r) => r.meter === 'nan'));
  const seqs = bal.firstArrival;
  assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'first arrivals in seq order');
  const target = agent.spool.status().lastSeq!;
  await waitFor(() => (agent.spool.status().lastAckSeq ?? -1) >= target, 10_000, 'acks applied up to the last spooled seq');
  await waitFor(() => [...agent.spool.readings(0, 1)].every((r) => r.seq > target), 5000, 'every reading up to it acked and deleted');
  assert.ok(agent.metrics.value('agent_first_reading_latency_ms') >= 0);
});

test('/healthz and /metrics on localhost', async () => {
  const h = await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`);
  assert.is(h.status, 200);
  const body = (await h.json()) as { ok: boolean; device: string; mqttConnected: boolean; spool: { lastSeq: number } };
  assert.equal([body.ok, body.device, body.mqttConnected], [true, key.address, true]);
  assert.ok(body.spool.lastSeq > 10);
  const m = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
  assert.match(m, /# TYPE spool_depth gauge/);
  assert.match(m, /readings_ingested_total\{meter="m1"\} \d+/);
  assert.match(m, /reading_errors_total\{code="EDGE_MODBUS_TIMEOUT",meter="dead"\} \d+/);
  assert.match(m, /uplink_connected 1/);
  assert.is((await fetch(`http://127.0.0.1:${agent.httpPort}/nope`)).status, 404);
});

test('systemd notify: READY=1 then WATCHDOG=1 on NOTIFY_SOCKET', async () => {
  await waitFor(() => notify.join('').includes('WATCHDOG=1'), 5000, 'watchdog ping');
  assert.ok(notify.join('').includes('READY=1'));
});

test('no key material in the agent logs', () => {
  const secret = key.withSecret((s) => Buffer.from(s).toString('hex'));
  assert.ok(logs.length > 5);
  assert.not.ok(logs.join('').includes(secret));
  assert.ok(logs.some((l) => l.includes(key.address)));
});

test.run();
