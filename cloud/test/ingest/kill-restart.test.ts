// BAL killed (SIGKILL) in the middle of a stream of batches and restarted on the same SQLite
// file: the device resends everything not acked (as the edge spool does), and in the end every
// reading is stored exactly once — none lost, none twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { FakeDevice, registryTx, tmpDir, until } from './harness.js';

const tmp = tmpDir('bal-kill-');
const dbPath = join(tmp.dir, 'bal.db');
let chain: ChainFixture; let broker: TestBroker; let dev: FakeDevice;
const children = new Set<ChildProcess>();

function startChild(): Promise<ChildProcess> {
  const env = { ...process.env, BAL_CHILD: JSON.stringify({ brokerUrl: broker.url, rpcUrl: chain.anvil.rpcUrl, chainId: chain.anvil.chainId, podRegistry: chain.deployment.podRegistry, deployBlock: chain.deployment.deployBlock, dbPath }) };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./bal-child.ts', import.meta.url))], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('BAL child did not start')), 30_000);
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(t); resolve(child); } });
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`BAL child exited with ${code}`)); });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test.before(async () => {
  chain = await startChain();
  broker = await startAedes();
  dev = await FakeDevice.connect(broker.url, 'IT001E00000042', chain.domain);
  await registryTx(chain, 'register', dev.pod, dev.address);
});

test.after(async () => {
  for (const c of [...children]) await kill(c);
  await dev?.close().catch(() => {});
  await broker?.close();
  await chain?.stop();
  tmp.remove();
});

test('SIGKILL mid-stream, restart, device resends: none lost, none twice', async () => {
  const N = 3000, BATCH = 100;
  const ts0 = Date.now();
  const readings = Array.from({ length: N }, (_, i) => dev.reading(i, ts0 + i));
  const unacked = new Set(readings.map((r) => r.seq));
  let acks = 0;
  dev.client.on('message', (topic, payload) => {
    if (!topic.endsWith('/ack')) return;
    const a = JSON.parse(payload.toString()) as { stored: number[]; duplicate: number[]; rejected: unknown[] };
    assert.equal(a.rejected, [], 'nothing rejected');
    for (const s of [...a.stored, ...a.duplicate]) unacked.delete(s);
    acks++;
  });
  const sendUnacked = async () => {
    const left = readings.filter((r) => unacked.has(r.seq));
    for (let i = 0; i < left.length; i += BATCH) await dev.publish({ v: 1, readings: left.slice(i, i + BATCH) });
  };

  let child = await startChild();
  const firstAck = until(() => acks > 0, 30_000, 'first ack');
  const sending = sendUnacked();
  await firstAck;
  await kill(child); // mid-stream: later batches are being verified/stored or still queued
  await sending;
  const leftAtKill = unacked.size;
  assert.ok(leftAtKill > 0, 'the kill happened before everything was acked');
  console.log(`killed with ${leftAtKill} of ${N} readings un-acked`);

  child = await startChild();
  const deadline = Date.now() + 90_000;
  while (unacked.size > 0 && Date.now() < deadline) {
    await sendUnacked();
    await until(() => unacked.size === 0, 2_000).catch(() => {});
  }
  assert.is(unacked.size, 0, 'every reading eventually acked');
  await kill(child);

  const store = openSqliteStore({ path: dbPath });
  try {
    const counts = await store.counts();
    assert.is(counts.readings, N, 'exactly N readings stored (none twice)');
    assert.is(counts.equivocations, 0);
    for (const seq of [0, 1, N / 2, N - 1]) assert.ok(await store.readingByDeviceSeq(dev.address, seq), `seq ${seq} stored`);
    assert.is(await store.lastSeqOfDevice(dev.address), N - 1);
    const page = await store.listReadings({ pod: dev.pod, limit: 1000 });
    let total = page.items.length, after = page.nextAfterId;
    const seen = new Set(page.items.map((r) => r.seq));
    while (after !== null) {
      const p = await store.listReadings({ pod: dev.pod, limit: 1000, afterId: after });
      total += p.items.length; p.items.forEach((r) => seen.add(r.seq)); after = p.nextAfterId;
    }
    assert.is(total, N);
    assert.is(seen.size, N, 'every seq 0..N-1 present once');
  } finally {
    await store.close();
  }
});

test.run();
