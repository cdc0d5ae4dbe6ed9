/**
 * One data directory, one agent (issue 17, defect 2): a second agent on the same config refuses
 * to start with EDGE_DATA_DIR_LOCKED while the first keeps running; a lock left by a dead
 * process (SIGKILL, power cut) is taken over; a lock whose pid was reused by another process is
 * stale too. Real agents, a real broker, a real child process for the dead pid.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLightNodeError } from '@lightnode/shared/errors';
import { makeDomain } from '@lightnode/shared/eip712';
import { validateConfig } from '../../src/config.js';
import { startAgent, type Agent } from '../../src/agent.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { acquireDataDirLock, LOCK_FILE, parseLockOwner, systemProbe } from '../../src/ops/data-dir-lock.js';
import type { SourceFactory } from '../../src/sources.js';
import { createLogger } from '../../src/ops/logger.js';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { randomPod, startFakeBal, waitFor, type FakeBal } from '../helpers/broker.js';
import { TEST_REGISTRY } from '../helpers/setup.js';

const logs: string[] = [];
const logger = createLogger({ level: 'info', write: (l) => logs.push(l) });
const dirs: string[] = [];
const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'ln-lock-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** The pid of a process that has exited (and was reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  assert.ok(pid > 0 && !systemProbe.alive(pid), `child ${pid} is gone`);
  return pid;
}

function refusal(fn: () => unknown): { code: string; message: string } | null {
  try { fn(); return null; } catch (err) {
    assert.ok(isLightNodeError(err), String(err));
    return { code: err.code, message: err.message };
  }
}

test('a held lock refuses a second holder with the code and the pid; release frees it', () => {
  const dir = tmp();
  const first = acquireDataDirLock(dir);
  assert.is(parseLockOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'))!.pid, process.pid);
  const r = refusal(() => acquireDataDirLock(dir));
  assert.is(r?.code, 'EDGE_DATA_DIR_LOCKED');
  assert.match(r!.message, new RegExp(`pid ${process.pid}`));
  first.release();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
  acquireDataDirLock(dir).release();
});

test('a stale lock from a dead pid is taken over; a torn lock file too', () => {
  const dir = tmp();
  const dead = deadPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, bootId: systemProbe.bootId(), startTicks: 1, startedMs: 1 }));
  const lock = acquireDataDirLock(dir);
  assert.is(lock.replaced?.pid, dead);
  assert.is(parseLockOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'))!.pid, process.pid);
  lock.release();
  writeFileSync(join(dir, LOCK_FILE), '{"pid":'); // a power cut mid-write
  acquireDataDirLock(dir).release();
});

test('a live pid that is another process (reused after a reboot, or another start time) is stale', () => {
  const dir = tmp();
  const myTicks = systemProbe.startTicks(process.pid);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, bootId: 'another-boot', startTicks: myTicks, startedMs: 1 }));
  assert.is(acquireDataDirLock(dir).replaced?.pid, process.pid, 'another boot');
  rmSync(join(dir, LOCK_FILE));
  if (myTicks !== null) {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, bootId: systemProbe.bootId(), startTicks: myTicks + 1, startedMs: 1 }));
    assert.is(acquireDataDirLock(dir).replaced?.pid, process.pid, 'another start time');
  }
});

test('a second agent on the same data directory refuses with EDGE_DATA_DIR_LOCKED; the first keeps running', async () => {
  const dir = tmp();
  const pod = randomPod();
  const key = DeviceKey.generate();
  const broker: TestBroker = await startAedes();
  const bal: FakeBal = await startFakeBal(broker.url, pod, makeDomain(31337, TEST_REGISTRY), key.address);
  let n = 0;
  const factory: SourceFactory = (m) => ({ kind: 'poll', source: { id: m.id, poll: async () => ({ meter: m.id, timestamp: Date.now(), source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: ++n, scale: 0, unit: 'Wh' }] }), close: async () => {} } });
  const cfg = validateConfig({
    pod, dataDir: dir, chain: { chainId: 31337, podRegistry: TEST_REGISTRY },
    mqtt: { url: broker.url, protocolVersion: 4 }, meters: [{ id: 'm1', kind: 'modbus', intervalMs: 100 }], http: { enabled: false },
  });
  let first: Agent | undefined;
  try {
    first = await startAgent(cfg, { key, sourceFactory: factory, logger });
    await waitFor(() => bal.stored.size >= 3, 10_000, 'the first agent delivering');
    let code: string | null = null;
    try { await (await startAgent(cfg, { key, sourceFactory: factory, logger })).stop(); } catch (err) { code = isLightNodeError(err) ? err.code : String(err); }
    assert.is(code, 'EDGE_DATA_DIR_LOCKED');
    const before = bal.stored.size;
    await waitFor(() => bal.stored.size >= before + 3 && first!.uplink.connected, 10_000, 'the first agent still delivering');
    assert.is(first.metrics.value('uplink_session_takeovers_total'), 0, 'no session fight');
    await first.stop();
    first = undefined;
    assert.not.ok(existsSync(join(dir, LOCK_FILE)), 'released at stop');
    // After a clean stop the next agent starts.
    const next = await startAgent(cfg, { key, sourceFactory: factory, logger });
    await next.stop();
  } finally {
    await first?.stop();
    await bal.close();
    await broker.close();
  }
});

test('an agent starts over a stale lock of a dead agent', async () => {
  const dir = tmp();
  const dead = deadPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, bootId: systemProbe.bootId(), startTicks: 1, startedMs: 1 }));
  const cfg = validateConfig({ pod: randomPod(), dataDir: dir, chain: { chainId: 31337, podRegistry: TEST_REGISTRY }, mqtt: { url: 'mqtt://127.0.0.1:1' }, http: { enabled: false } });
  const agent = await startAgent(cfg, { key: DeviceKey.generate(), sourceFactory: () => { throw new Error('no meters'); }, logger });
  assert.ok(logs.some((l) => l.includes('stale data-directory lock taken over') && l.includes(`"stalePid":${dead}`)), 'the takeover is logged');
  assert.is(parseLockOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'))!.pid, process.pid);
  await agent.stop();
});

test.run();
