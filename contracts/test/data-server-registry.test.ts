// DataServerRegistry (issue 13 §4) on a real anvil through its client: register, PoD grants,
// rotation and revocation with their histories (keyAt / maySpeakFor at a time), DSO-only writes,
// decoded events, and the hand-kept ABI against the compiled artifact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interface, Wallet } from 'ethers';
import { loadArtifact } from '../src/artifacts.js';
import { DATA_SERVER_REGISTRY_ABI } from '../src/data-servers/abi.js';
import { dataServerRegistryClient, type DataServerRegistryClient } from '../src/data-servers/client.js';
import { increaseTime, startChain, type ChainFixture } from '@lightnode/test-kit/chain';

let fx: ChainFixture;
let dso: DataServerRegistryClient;
let reader: DataServerRegistryClient;
const ID = 'dso-gr-01';
const [k1, k2] = Array.from({ length: 2 }, () => Wallet.createRandom().address.toLowerCase());
const PODS = ['IT001E00000201', 'IT001E00000202'];

test.before(async () => {
  fx = await startChain();
  dso = fx.dataServers;
  reader = dataServerRegistryClient(fx.deployment.dataServerRegistry!, fx.provider);
});
test.after(async () => { await fx?.stop(); });

test('the hand-kept ABI matches the compiled artifact', () => {
  const fromArtifact = new Interface(loadArtifact('DataServerRegistry').abi as never).format().sort();
  const ours = new Interface(DATA_SERVER_REGISTRY_ABI).format().sort();
  assert.equal(ours, fromArtifact);
});

test('register, allow PoDs, rotate, remove a PoD, revoke: keyAt and maySpeakFor follow the history', async () => {
  await dso.write('register', [ID, k1]);
  await dso.write('allowPods', [ID, PODS]);
  const t0 = (await fx.provider.getBlock('latest'))!.timestamp * 1000;
  assert.is(await reader.keyOf(ID), k1);
  assert.ok(await reader.maySpeakFor(ID, PODS[0]!, t0));
  assert.not.ok(await reader.maySpeakFor(ID, 'IT001E00000299', t0), 'not granted');
  assert.not.ok(await reader.maySpeakFor(ID, PODS[0]!, t0 - 60_000), 'before the grant');
  await increaseTime(fx.provider, 10);
  await dso.write('rotate', [ID, k2]);
  const t1 = (await fx.provider.getBlock('latest'))!.timestamp * 1000;
  assert.is(await reader.keyAt(ID, t1 - 1), k1, 'old key before the rotation');
  assert.is(await reader.keyAt(ID, t1), k2, 'new key from the rotation');
  await increaseTime(fx.provider, 10);
  await dso.write('removePods', [ID, [PODS[1]!]]);
  const t2 = (await fx.provider.getBlock('latest'))!.timestamp * 1000;
  assert.ok(await reader.maySpeakFor(ID, PODS[1]!, t2 - 1));
  assert.not.ok(await reader.maySpeakFor(ID, PODS[1]!, t2), 'removed');
  await increaseTime(fx.provider, 10);
  await dso.write('revoke', [ID]);
  const t3 = (await fx.provider.getBlock('latest'))!.timestamp * 1000;
  assert.is(await reader.keyOf(ID), null);
  assert.is(await reader.keyAt(ID, t3), null, 'revoked');
  assert.is(await reader.keyAt(ID, t3 - 1), k2, 'history kept');

  const logs = await reader.logs(fx.deployment.deployBlock, await fx.provider.getBlockNumber());
  assert.equal(logs.map((l) => l.kind), ['registered', 'podsAllowed', 'rotated', 'podsRemoved', 'revoked']);
  assert.equal(logs[1]!.kind === 'podsAllowed' && logs[1]!.pods, PODS);
  assert.equal(logs[2], { kind: 'rotated', serverId: ID, oldKey: k1, newKey: k2, atMs: t1, blockNumber: logs[2]!.blockNumber, logIndex: logs[2]!.logIndex });
});

test('only the DSO writes; bad ids, PoDs and states revert with named errors', async () => {
  const outsider = dataServerRegistryClient(fx.deployment.dataServerRegistry!, fx.wallets[5]!);
  const cases: [DataServerRegistryClient, Parameters<DataServerRegistryClient['write']>[0], unknown[], string][] = [
    [outsider, 'register', ['other', k1], 'NotDso'],
    [dso, 'register', ['bad/id', k1], 'InvalidServerId'],
    [dso, 'rotate', [ID, k1], 'ServerNotRegistered'],
    [dso, 'allowPods', ['never', PODS], 'ServerNotRegistered'],
  ];
  for (const [c, fn, args, name] of cases) {
    try {
      await c.write(fn, args, { dryRun: true });
      assert.unreachable(`${fn} should revert`);
    } catch (err) {
      assert.is(c.decodeRevert(err)?.name, name, `${fn}(${JSON.stringify(args)})`);
    }
  }
  await dso.write('register', ['srv-2', k1]);
  for (const [fn, args, name] of [['register', ['srv-2', k2], 'ServerAlreadyRegistered'], ['rotate', ['srv-2', k1], 'SameKey'], ['allowPods', ['srv-2', ['IT1']], 'InvalidPod'], ['removePods', ['srv-2', [PODS[0]]], 'PodNotAllowed']] as const) {
    try {
      await dso.write(fn, args, { dryRun: true });
      assert.unreachable(`${fn} should revert`);
    } catch (err) {
      assert.is(dso.decodeRevert(err)?.name, name, fn);
    }
  }
  await dso.write('allowPods', ['srv-2', [PODS[0]!]]);
  try { await dso.write('allowPods', ['srv-2', [PODS[0]!]], { dryRun: true }); assert.unreachable(); } catch (err) { assert.is(dso.decodeRevert(err)?.name, 'PodAlreadyAllowed'); }
});

test.run();
