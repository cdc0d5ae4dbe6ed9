// The ingest through an external broker: a real Mosquitto started on a free port (anonymous,
// no ACL — broker security is tested in test/broker). Good readings stored then acked, a bad
// one rejected with its code, a resend acked as duplicate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createVerifyPool, type VerifyPool } from '../../src/verify/pool.js';
import { startRegistryMirror, type RegistryMirror } from '../../src/registry/mirror.js';
import { startIngest, type Ingest } from '../../src/ingest/ingest.js';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { connect, FakeDevice, registryTx, tmpDir } from './harness.js';

const tmp = tmpDir('bal-mosq-ingest-');
let mosq: MosquittoProcess | null = null;
let chain: ChainFixture; let store: BalStore; let pool: VerifyPool; let mirror: RegistryMirror; let bal: MqttClient; let ingest: Ingest; let dev: FakeDevice;
let registeredMs = 0;

test.before(async () => {
  const port = await freePort();
  const conf = join(tmp.dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  mosq = await startMosquitto(conf, port);
  const url = `mqtt://127.0.0.1:${port}`;
  bal = await connect(url, 'bal');
  chain = await startChain();
  dev = await FakeDevice.connect(url, 'IT001E00000077', chain.domain);
  registeredMs = await registryTx(chain, 'register', dev.pod, dev.address);
  store = openSqliteStore({ path: join(tmp.dir, 'bal.db') });
  pool = await createVerifyPool({ domain: chain.domain, threads: 1 });
  mirror = await startRegistryMirror({ provider: jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId), podRegistry: chain.deployment.podRegistry, fromBlock: chain.deployment.deployBlock, log: silentLogger });
  ingest = await startIngest({ mqtt: bal, store, mirror, pool, metrics: new MetricsRegistry(), log: silentLogger });
});

test.after(async () => {
  await ingest?.stop().catch(() => {});
  await dev?.close().catch(() => {});
  await bal?.endAsync(true).catch(() => {});
  await mirror?.stop(); await pool?.close(); await store?.close();
  await chain?.stop();
  await mosq?.stop();
  tmp.remove();
});

test('readings over Mosquitto: stored then acked; bad one rejected; resend = duplicate', async () => {
  const ts = Math.max(Date.now(), registeredMs);
  const batch = { v: 1 as const, readings: [dev.reading(0, ts), dev.reading(1, ts + 1), dev.reading(2, Date.now() + 3_600_000)] };
  const ack = await dev.send(batch);
  assert.equal(ack.stored, [0, 1]);
  assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[2, 'BAL_TIMESTAMP_FUTURE']]);
  assert.ok(await store.readingByDeviceSeq(dev.address, 1));
  const again = await dev.send({ v: 1, readings: batch.readings.slice(0, 2) });
  assert.equal(again.duplicate, [0, 1]);
});

test.run();
