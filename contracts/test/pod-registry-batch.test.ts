// Batch registration of 1,000 PoDs on a real anvil, in a few transactions; prints the gas used.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getAddress, hexlify, randomBytes } from 'ethers';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { eventsOf, send } from './helpers/chain.js';

let fx: ChainFixture;
test.before(async () => {
  fx = await startChain();
});
test.after(async () => {
  await fx?.stop();
});

test('registerBatch: 1,000 PoDs in 4 transactions, one event each, all resolvable', async () => {
  const total = 1000;
  const perTx = 250;
  const pods = Array.from({ length: total }, (_, i) => `IT${String(100 + (i % 900)).padStart(3, '0')}E${String(10_000_000 + i).padStart(8, '0')}`);
  // Distinct device addresses without deriving 1,000 keys: a device is just an address to the registry.
  const devices = Array.from({ length: total }, () => getAddress(hexlify(randomBytes(20))));
  let gas = 0n;
  let events = 0;
  for (let i = 0; i < total; i += perTx) {
    const rc = await send(fx.registry, 'registerBatch', pods.slice(i, i + perTx), devices.slice(i, i + perTx));
    gas += rc.gasUsed;
    const evs = eventsOf(fx.registry, rc, 'DeviceRegistered');
    assert.is(evs.length, perTx);
    assert.is(evs[0]!.pod, pods[i]);
    events += evs.length;
  }
  assert.is(events, total);
  assert.is(await fx.registry.getFunction('podCount')(), BigInt(total));
  for (const k of [0, 1, 249, 250, 777, 999]) {
    assert.is(await fx.registry.getFunction('deviceOf')(pods[k]), devices[k], `pod ${k}`);
  }
  console.log(`  registerBatch: ${total} PoDs in ${total / perTx} tx, ${gas} gas total, ${gas / BigInt(total)} gas/PoD`);
});

test.run();
