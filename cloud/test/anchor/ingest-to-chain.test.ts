// End to end on the data path: readings acked by the ingest, anchored by the anchorer, and
// each one then verified on chain by ReadingAnchor.verifyReading (digest, low-s signature,
// registry device at the reading's time, Merkle inclusion) with a proof from OpenZeppelin's
// SimpleMerkleTree rebuilt from the store's leaves — what a receipt carries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { MqttClient } from 'mqtt';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { jsonRpcProvider, readingAnchorAt } from '@lightnode/contracts/connect';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createVerifyPool, type VerifyPool } from '../../src/verify/pool.js';
import { startRegistryMirror, type RegistryMirror } from '../../src/registry/mirror.js';
import { startIngest, type Ingest } from '../../src/ingest/ingest.js';
import { startAnchorer, type Anchorer } from '../../src/anchor/anchorer.js';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { connect, FakeDevice, registryTx, tmpDir } from '../ingest/harness.js';

const tmp = tmpDir('bal-e2e-');
let chain: ChainFixture; let broker: TestBroker; let store: BalStore; let pool: VerifyPool; let mirror: RegistryMirror;
let bal: MqttClient; let ingest: Ingest; let anchorer: Anchorer; let dev: FakeDevice;
let regMs = 0;

test.before(async () => {
  chain = await startChain();
  broker = await startAedes();
  dev = await FakeDevice.connect(broker.url, 'IT001E00000123', chain.domain);
  regMs = await registryTx(chain, 'register', dev.pod, dev.address);
  store = openSqliteStore({ path: join(tmp.dir, 'bal.db') });
  const metrics = new MetricsRegistry();
  const provider = jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId);
  pool = await createVerifyPool({ domain: chain.domain, threads: 1 });
  mirror = await startRegistryMirror({ provider, podRegistry: chain.deployment.podRegistry, fromBlock: chain.deployment.deployBlock, log: silentLogger, metrics });
  bal = await connect(broker.url, 'bal');
  ingest = await startIngest({ mqtt: bal, store, mirror, pool, metrics, log: silentLogger });
  anchorer = startAnchorer({ store, signer: new Wallet(ANVIL_PRIVATE_KEYS[0], provider), readingAnchor: chain.deployment.readingAnchor, metrics, log: silentLogger, config: { windowMs: 3_600_000, maxLeaves: 7, pollIntervalMs: 50 } });
});

test.after(async () => {
  await ingest?.stop().catch(() => {});
  await anchorer?.stop();
  await dev?.close().catch(() => {});
  await bal?.endAsync(true).catch(() => {});
  await mirror?.stop(); await pool?.close(); await store?.close();
  await broker?.close(); await chain?.stop();
  tmp.remove();
});

test('acked readings are anchored and verify on chain with OZ proofs', async () => {
  const ts = Math.max(Date.now(), regMs);
  const readings = Array.from({ length: 10 }, (_, i) => dev.reading(i, ts + i));
  const ack = await dev.send({ v: 1, readings });
  assert.equal(ack.stored, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await anchorer.flush(30_000);
  const c = readingAnchorAt(chain.deployment.readingAnchor, jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId));
  assert.is(Number(await c.getFunction('anchorCount')()), 2, 'windows of 7 + 3');
  let verified = 0;
  for (const index of [0, 1]) {
    const rows = await store.readingsOfAnchor(index);
    const tree = SimpleMerkleTree.of(rows.map((r) => r.digest));
    for (const row of rows) {
      const { signature, ...reading } = row.reading;
      const [ok, reason] = await c.getFunction('verifyReading')(reading, signature, index, tree.getProof(row.digest));
      assert.ok(ok, `reading ${row.seq} verifies on chain (reason ${reason})`);
      verified++;
    }
    // A tampered reading must not verify.
    const { signature, ...reading } = rows[0]!.reading;
    const [bad] = await c.getFunction('verifyReading')({ ...reading, seq: reading.seq + 100 }, signature, index, tree.getProof(rows[0]!.digest));
    assert.is(bad, false);
  }
  assert.is(verified, 10);
});

test.run();
