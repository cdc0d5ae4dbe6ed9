// End to end at 50 fps: the hardware simulator's PMU → the agent's `kind: "pmu"` source (built
// by the default source factory from the config) → signed spool → broker → a BAL verifying every
// signature. Every frame the PMU sent becomes exactly one stored reading: none missing, none
// doubled, timestamps on the 20 ms grid, and each reading's source names a frame kept in the
// frame log. (A 10-minute run is a bench: edge/bench/pmu-bench.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { makeDomain } from '@lightnode/shared/eip712';
import { frameLengthAt, peekFrameType } from '@lightnode/shared/c37118/frame';
import { PmuServer } from '@lightnode/hardware-sim/pmu/pmu-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { validateConfig } from '../../src/config.js';
import { startAgent, type Agent } from '../../src/agent.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { createLogger } from '../../src/ops/logger.js';
import { randomPod, startFakeBal, waitFor, type FakeBal } from '../helpers/broker.js';
import { TEST_REGISTRY } from '../helpers/setup.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-pmu-'));
const pod = randomPod();
const key = DeviceKey.generate();
let broker: TestBroker, bal: FakeBal, agent: Agent, sim: PmuServer;

test.before(async () => {
  broker = await startAedes();
  bal = await startFakeBal(broker.url, pod, makeDomain(31337, TEST_REGISTRY), key.address);
  sim = new PmuServer({ sim: { idcode: 21, stn: 'E2E_PMU', rateFps: 50 }, clock: new SimClock({}), port: 0 });
  const { port } = await sim.start();
  const cfg = validateConfig({
    pod, dataDir: dir, chain: { chainId: 31337, podRegistry: TEST_REGISTRY },
    mqtt: { url: broker.url, protocolVersion: 4, batchSize: 100 },
    meters: [{ id: 'pmu1', kind: 'pmu', host: '127.0.0.1', port, idcode: 21, stallTimeoutMs: 60_000, frameLog: 'pmu1.c37' }],
    http: { enabled: false },
  });
  agent = await startAgent(cfg, { key, logger: createLogger({ level: 'error', write: () => {} }) });
});

test.after(async () => {
  await agent?.stop();
  await sim?.stop();
  await bal?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('50 fps for 3 s: every frame one verified stored reading, none missing or doubled, each traced to its kept frame', async () => {
  await waitFor(() => sim.counters.data >= 150, 10_000, '3 s of frames sent');
  sim.setFaults({ stalled: true }); // freeze the stream: what was sent is the set to account for
  const sent = sim.counters.data;
  await waitFor(() => bal.stored.size >= sent, 10_000, `${sent} readings stored`);
  await new Promise((r) => setTimeout(r, 300));
  assert.is(bal.badSignatures, 0);
  const stored = bal.received.filter((r, i, all) => all.findIndex((x) => x.seq === r.seq) === i).sort((a, b) => a.seq - b.seq);
  assert.is(stored.length, sent, 'one reading per frame sent');
  const times = stored.map((r) => r.timestamp);
  assert.is(new Set(times).size, sent, 'no two readings of one frame time');
  for (let i = 1; i < times.length; i++) assert.is(times[i]! - times[i - 1]!, 20, `reading ${i} on the 20 ms grid`);
  assert.ok(stored.every((r) => r.meter === 'pmu1' && r.pod === pod));
  // The frame log holds the exact bytes each reading's source names.
  const log = readFileSync(join(dir, 'pmu1.c37'));
  const digests = new Set<string>();
  for (let at = 0; at < log.length;) {
    const len = frameLengthAt(log, at)!;
    const frame = log.subarray(at, at + len);
    if (peekFrameType(frame) === 'data') digests.add(bytesToHex(sha256(frame)));
    at += len;
  }
  for (const r of stored) assert.ok(digests.has(r.source.slice('c37118:'.length)), `frame of seq ${r.seq} kept`);
});

test.run();
