// The ethers PodRegistry client (src/registry/client.ts) on a real anvil: reads, decoded logs in
// chain order, writes with a dry run, and custom errors decoded from a reverted write.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { podRegistryClient, type PodRegistryClient } from '../src/registry/client.js';
import { increaseTime, startChain, type ChainFixture as Fixture } from '@lightnode/test-kit/chain';

let fx: Fixture;
let dso: PodRegistryClient;
let reader: PodRegistryClient;
const POD = 'IT001E00000101';
const [d1, d2] = Array.from({ length: 2 }, () => Wallet.createRandom().address.toLowerCase());

test.before(async () => {
  fx = await startChain();
  dso = podRegistryClient(fx.deployment.podRegistry, fx.wallets[0]!);
  reader = podRegistryClient(fx.deployment.podRegistry, fx.provider);
});
test.after(async () => { await fx?.stop(); });

test('a dry run sends nothing; a write is mined and the reads follow it', async () => {
  const dry = await dso.write('register', [POD, d1], { dryRun: true });
  assert.equal(dry, { tx: null, blockNumber: null, gasUsed: 0n, status: null });
  assert.is(await reader.deviceOf(POD), null, 'nothing sent');
  const sent = await dso.write('register', [POD, d1]);
  assert.is(sent.status, 1);
  assert.ok(sent.tx && sent.blockNumber && sent.gasUsed > 0n);
  assert.is(await reader.deviceOf(POD), d1);
  assert.ok(await reader.isDso(fx.wallets[0]!.address));
  assert.not.ok(await reader.isDso(fx.wallets[3]!.address));
});

test('rotate, revoke and setpoint signers: history, deviceAt and logs agree', async () => {
  await increaseTime(fx.provider, 10);
  await dso.write('rotate', [POD, d2]);
  await increaseTime(fx.provider, 10);
  await dso.write('revoke', [POD]);
  await dso.write('addSetpointSigner', [fx.wallets[4]!.address]);
  const h = await reader.historyOf(POD);
  assert.equal(h.map((p) => p.device), [d1, d2]);
  assert.is(h[0]!.validToMs, h[1]!.validFromMs, 'rotation closes and opens at the same instant');
  assert.ok(h[1]!.validToMs > h[1]!.validFromMs, 'revoked: closed');
  assert.is(await reader.deviceAt(POD, h[0]!.validFromMs), d1);
  assert.is(await reader.deviceAt(POD, h[1]!.validFromMs), d2);
  assert.is(await reader.deviceAt(POD, h[1]!.validToMs), null);
  assert.is(await reader.deviceOf(POD), null);
  assert.equal(await reader.setpointSigners(), [fx.wallets[4]!.address.toLowerCase()]);

  const logs = await reader.logs(fx.deployment.deployBlock, await fx.provider.getBlockNumber());
  assert.equal(logs.map((l) => l.kind), ['registered', 'rotated', 'revoked', 'setpointSignerAdded'], 'role events left out');
  assert.equal(logs[1], { kind: 'rotated', pod: POD, oldDevice: d1, newDevice: d2, atMs: h[1]!.validFromMs, blockNumber: logs[1]!.blockNumber, logIndex: logs[1]!.logIndex });
  assert.ok(logs.every((l, i) => i === 0 || l.blockNumber >= logs[i - 1]!.blockNumber), 'chain order');
  assert.equal(await reader.logs(logs[0]!.blockNumber + 1, logs[0]!.blockNumber + 1), [], 'an empty range');
});

test('a reverted write rethrows with the custom error decoded, in a dry run too', async () => {
  for (const dryRun of [true, false]) {
    try {
      await dso.write('rotate', ['IT001E00000999', d1], { dryRun });
      assert.unreachable('should revert');
    } catch (err) {
      assert.equal(dso.decodeRevert(err), { name: 'PodNotRegistered', args: ['IT001E00000999'] }, `dryRun ${dryRun}`);
      assert.is((err as { revert?: { name: string } }).revert?.name, 'PodNotRegistered');
    }
  }
  const other = podRegistryClient(fx.deployment.podRegistry, fx.wallets[5]!);
  const err = await other.write('revoke', [POD]).catch((e: unknown) => e);
  assert.is(other.decodeRevert(err)?.name, 'NotDso');
  assert.is(dso.decodeRevert(new Error('socket hang up')), null, 'not a revert');
});

test('a runner without a provider is refused at construction', () => {
  assert.throws(() => podRegistryClient(fx.deployment.podRegistry, Wallet.createRandom()), /not connected to a provider/);
});

test.run();
