/**
 * End to end with the lab simulators (hardware-sim startLab): the agent with its default source
 * factory reads an SDM630 and a SunSpec meter over Modbus TCP and a Chain 2 gateway over
 * WebSocket; every reading reaches the broker signed by the device and verifies (fake BAL with
 * the shared verifier). A Modbus meter that starts timing out is counted and does not stop the
 * others.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '@lightnode/hardware-sim/lab';
import { makeDomain } from '@lightnode/shared/eip712';
import { validateConfig } from '../../src/config.js';
import { startAgent, type Agent } from '../../src/agent.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { nullLogger } from '../../src/ops/logger.js';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { randomPod, startFakeBal, waitFor, type FakeBal } from '../helpers/broker.js';
import { TEST_REGISTRY } from '../helpers/setup.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-lab-'));
const pod = randomPod();
const key = DeviceKey.generate();
let lab: Lab;
let broker: TestBroker;
let bal: FakeBal;
let agent: Agent;

test.before(async () => {
  lab = await startLab({
    control: { host: '127.0.0.1', port: 0 },
    tcp: [{ name: 't1', host: '127.0.0.1', port: 0 }],
    devices: [
      { id: 'sdm', type: 'sdm630', slaveId: 1, tcp: 't1', initialImportWh: 1_000_000 },
      { id: 'sun', type: 'sunspec-meter', slaveId: 2, tcp: 't1', profile: { kind: 'pv' } },
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
      { id: 'sdm630', kind: 'modbus', template: 'sdm630', link, device: { unitId: 1, timeoutMs: 300, retries: 0, backoffBaseMs: 100 }, intervalMs: 500 },
      { id: 'sunspec', kind: 'modbus', template: 'sunspec-213', link, device: { unitId: 2, timeoutMs: 300, retries: 0, backoffBaseMs: 100 }, intervalMs: 500 },
      { id: 'chain2', kind: 'chain2', url: lab.endpoints.devices.c2!.ws!, reconnectMinMs: 50, reconnectMaxMs: 200 },
    ],
    http: { enabled: false },
  });
  agent = await startAgent(cfg, { key, logger: nullLogger });
});

test.after(async () => {
  await agent?.stop();
  await bal?.close();
  await broker?.close();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('SDM630 + SunSpec over Modbus TCP and Chain 2 over WebSocket: signed, delivered, verified', async () => {
  await waitFor(() => ['sdm630', 'sunspec', 'chain2'].every((m) => bal.received.some((r) => r.meter === m)), 20_000, 'a reading from every meter');
  assert.is(bal.badSignatures, 0, 'every reading recovers to the device address');
  const sdm = bal.received.find((r) => r.meter === 'sdm630')!;
  assert.is(sdm.source, 'modbus');
  const e = sdm.values.find((v) => v.quantity === '1-0:1.8.0');
  assert.ok(e && e.value * 10 ** e.scale >= 1_000_000, 'SDM630 import energy from the simulator');
  const c2 = bal.received.find((r) => r.meter === 'chain2')!;
  assert.is(c2.source, 'chain2');
});

test('a meter that stops answering is counted; the others keep flowing', async () => {
  await lab.setFault('sdm', { timeout: true });
  await waitFor(() => agent.metrics.render().includes('reading_errors_total{code="EDGE_MODBUS_TIMEOUT",meter="sdm630"}'), 15_000, 'timeout counted');
  const n = bal.received.filter((r) => r.meter === 'sunspec').length;
  await waitFor(() => bal.received.filter((r) => r.meter === 'sunspec').length >= n + 3, 10_000, 'SunSpec keeps flowing');
  assert.ok(agent.health().ok);
});

test.run();
