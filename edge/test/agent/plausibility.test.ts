/**
 * Issue 17 defect 6 through the real agent path: lab simulators (SDM630 and a SunSpec meter over
 * Modbus TCP, an SDM120 over Modbus RTU on a socat pty, a Chain 2 gateway over WebSocket) → the
 * agent (default source factory, plausibility gate, spool, uplink) → a fake BAL. Under the
 * simulators' out-of-range fault (9999 V, 99 Hz, 10 MW and the currents that follow) and a
 * forced 10 MW on the Chain 2 meter, no signed reading carries an implausible value; each drop is
 * counted with its reason, logged (once per quantity and reason, not per poll) and shown in health.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '@lightnode/hardware-sim/lab';
import { makeDomain } from '@lightnode/shared/eip712';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { validateConfig } from '../../src/config.js';
import { startAgent, type Agent } from '../../src/agent.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { createLogger } from '../../src/ops/logger.js';
import { loadTemplate } from '../../src/meters/template.js';
import { defaultRating, limitsOf, screenValues, type Limit } from '../../src/meters/plausibility.js';
import { randomPod, startFakeBal, waitFor, type FakeBal } from '../helpers/broker.js';
import { TEST_REGISTRY } from '../helpers/setup.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-plaus-'));
const pod = randomPod();
const key = DeviceKey.generate();
let lab: Lab;
let pty: PtyPair;
let broker: TestBroker;
let bal: FakeBal;
let agent: Agent;
const lines: { msg: string; meter?: string; quantity?: string; reason?: string; err?: { code: string } }[] = [];

test.before(async () => {
  pty = await startPtyPair();
  lab = await startLab({
    timeAcceleration: 600, // a Chain 2 CF1 (quarter hour) every 1.5 s
    control: { host: '127.0.0.1', port: 0 },
    tcp: [{ name: 't1', host: '127.0.0.1', port: 0 }],
    serial: [{ name: 'bus', path: pty.b }],
    devices: [
      { id: 'sdm', type: 'sdm630', slaveId: 1, tcp: 't1', profile: { kind: 'constant', powerW: 2500 }, initialImportWh: 1_000_000 },
      { id: 'sun', type: 'sunspec-meter', slaveId: 2, tcp: 't1', profile: { kind: 'constant', powerW: 1500 } },
      { id: 'r2', type: 'sdm120', rtu: 'bus', slaveId: 2, profile: { kind: 'constant', powerW: 800 } },
      { id: 'c2', type: 'chain2', pod, ws: { host: '127.0.0.1', port: 0 } },
    ],
  });
  broker = await startAedes();
  bal = await startFakeBal(broker.url, pod, makeDomain(31337, TEST_REGISTRY), key.address);
  const t1 = lab.endpoints.tcp.t1!;
  const link = { kind: 'tcp', host: t1.host, port: t1.port };
  const cfg = validateConfig({
    pod, dataDir: dir, chain: { chainId: 31337, podRegistry: TEST_REGISTRY },
    mqtt: { url: broker.url, protocolVersion: 4 },
    meters: [
      { id: 'sdm630', kind: 'modbus', template: 'sdm630', link, device: { unitId: 1, timeoutMs: 500, retries: 0, backoffBaseMs: 100 }, intervalMs: 500 },
      { id: 'sunspec', kind: 'modbus', template: 'sunspec-213', link, device: { unitId: 2, timeoutMs: 500, retries: 0, backoffBaseMs: 100 }, intervalMs: 500 },
      { id: 'sdm120', kind: 'modbus', template: 'sdm120', link: { kind: 'rtu', path: pty.a }, line: { interFrameGapMs: 5, slaveSwitchPauseMs: 20 },
        device: { unitId: 2, timeoutMs: 500, retries: 1, backoffBaseMs: 100 }, intervalMs: 500 },
      { id: 'chain2', kind: 'chain2', url: lab.endpoints.devices.c2!.ws!, reconnectMinMs: 50, reconnectMaxMs: 200 },
    ],
    http: { enabled: false },
  });
  const logger = createLogger({ level: 'info', write: (l) => { lines.push(JSON.parse(l)); } });
  agent = await startAgent(cfg, { key, logger });
});

test.after(async () => {
  await agent?.stop();
  await bal?.close();
  await broker?.close();
  await lab?.stop();
  await pty?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The windows the gate applies to each meter (template rating and point min/max, or the kind's default). */
function windowOf(meter: string): (q: string) => Limit | undefined {
  const template = { sdm630: 'sdm630', sunspec: 'sunspec-213', sdm120: 'sdm120' }[meter];
  if (!template) return limitsOf(defaultRating('chain2'));
  const t = loadTemplate(template);
  const explicit = new Map<string, Limit>();
  for (const p of t.points) if (p.min !== undefined || p.max !== undefined) explicit.set(p.quantity, { min: p.min, max: p.max });
  return limitsOf(t.rating!, explicit);
}

const dropped = (source: string, quantity: string, reason = 'above_max'): number => {
  const line = agent.metrics.render().split('\n').find((l) => l.startsWith(`acquisition_values_dropped_total{quantity="${quantity}",reason="${reason}",source="${source}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
};
const meters = ['sdm630', 'sunspec', 'sdm120', 'chain2'];

test('out-of-range values on Modbus TCP, RTU and Chain 2: dropped before signing, counted by reason, logged once, in health', async () => {
  await waitFor(() => meters.every((m) => bal.received.some((r) => r.meter === m)), 30_000, 'a reading from every meter');
  assert.is(agent.health().implausibleValues && (agent.health().implausibleValues as { dropped: number }).dropped, 0, 'nothing dropped while the meters are sane');

  for (const id of ['sdm', 'sun', 'r2']) await lab.setFault(id, { values: 'outOfRange' });
  await lab.setValues('c2', { powerW: 10_000_000 });
  const expectations: [string, string][] = [
    ['sdm630', '1-0:32.7.0'], ['sdm630', '1-0:14.7.0'], ['sdm630', '1-0:16.7.0'], ['sdm630', '1-0:31.7.0'],
    ['sunspec', '1-0:32.7.0'], ['sunspec', '1-0:14.7.0'], ['sunspec', '1-0:16.7.0'],
    ['sdm120', '1-0:32.7.0'], ['sdm120', '1-0:14.7.0'], ['sdm120', '1-0:16.7.0'], ['sdm120', '1-0:31.7.0'],
    ['chain2', '1-0:1.7.0'],
  ];
  await waitFor(() => expectations.every(([s, q]) => dropped(s, q) >= 2), 45_000, `drops counted: ${expectations.filter(([s, q]) => dropped(s, q) < 2).map((x) => x.join(' ')).join(', ')}`);
  // Readings still flow with their plausible values (energy counters) under the fault.
  const n = bal.received.length;
  await waitFor(() => ['sdm630', 'sunspec', 'sdm120'].every((m) => bal.received.slice(n).some((r) => r.meter === m)), 20_000, 'plausible values still signed');

  assert.is(bal.badSignatures, 0);
  let checked = 0;
  for (const r of bal.received) {
    const { dropped: bad } = screenValues(r.values, windowOf(r.meter));
    assert.equal(bad, [], `reading ${r.meter}#${r.seq} carries no implausible value`);
    checked += r.values.length;
  }
  assert.ok(checked > 100, `values checked: ${checked}`);
  for (const r of bal.received.slice(n)) {
    if (r.meter === 'chain2') continue;
    assert.ok(!r.values.some((v) => v.quantity === '1-0:32.7.0'), `${r.meter}: 9999 V not signed`);
  }

  const health = agent.health().implausibleValues as { dropped: number; last: { source: string; reason: string } | null };
  assert.ok(health.dropped >= expectations.length * 2, `health counts the drops (${health.dropped})`);
  assert.ok(health.last && meters.includes(health.last.source));
  const logged = lines.filter((l) => l.err?.code === 'EDGE_VALUE_IMPLAUSIBLE');
  for (const [s, q] of expectations) {
    assert.is(logged.filter((l) => l.meter === s && l.quantity === q && l.reason === 'above_max').length, 1, `${s} ${q}: logged once, though dropped ${dropped(s, q)} times`);
  }
});

test.run();
