// Registry mirror on a real anvil: built from PodRegistry events, followed live, same answers
// as the contract's deviceAt at every period boundary, fallback to deviceAt on a miss.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { startAnvil, ANVIL_PRIVATE_KEYS, type AnvilHandle } from '@lightnode/contracts/anvil';
import { deployAll, type Deployment } from '@lightnode/contracts/deploy';
import { jsonRpcProvider, podRegistryAt } from '@lightnode/contracts/connect';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { startRegistryMirror, type RegistryMirror } from '../../src/registry/mirror.js';
import type { Address } from '../../src/registry/pod-history.js';

let anvil: AnvilHandle;
let dep: Deployment;
const provider = () => jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
const d = () => Array.from({ length: 3 }, () => Wallet.createRandom().address.toLowerCase() as Address);
const [d1, d2, d3] = d();
const POD = 'IT001E00000001';
const times: number[] = [];
const mirrors: RegistryMirror[] = [];

async function setTime(sec: number): Promise<void> {
  await provider().send('evm_setNextBlockTimestamp', [sec]);
}

test.before(async () => {
  anvil = await startAnvil();
  const admin = new Wallet(ANVIL_PRIVATE_KEYS[0], provider());
  dep = await deployAll(admin);
  const reg = podRegistryAt(dep.podRegistry, admin);
  const t0 = Math.floor(Date.now() / 1000) + 10;
  await setTime(t0); await (await reg.getFunction('register')(POD, d1)).wait();
  await setTime(t0 + 100); await (await reg.getFunction('rotate')(POD, d2)).wait();
  await setTime(t0 + 200); await (await reg.getFunction('revoke')(POD)).wait();
  await setTime(t0 + 300); await (await reg.getFunction('register')(POD, d3)).wait();
  times.push(t0 * 1000, (t0 + 100) * 1000, (t0 + 200) * 1000, (t0 + 300) * 1000);
});

test.after(async () => {
  for (const m of mirrors) await m.stop();
  await anvil?.stop();
});

test('history from the deploy block equals deviceAt at every boundary; codes per case', async () => {
  const m = await startRegistryMirror({ provider: provider(), podRegistry: dep.podRegistry, fromBlock: dep.deployBlock, pollIntervalMs: 60_000, log: silentLogger });
  mirrors.push(m);
  const reg = podRegistryAt(dep.podRegistry, provider());
  const probes = times.flatMap((t) => [t - 1, t, t + 1]).concat([times[0]! - 10_000, times[3]! + 1e9]);
  for (const ms of probes) {
    const onChain = ((await reg.getFunction('deviceAt')(POD, ms)) as string).toLowerCase();
    const local = m.deviceAt(POD, ms) ?? '0x0000000000000000000000000000000000000000';
    assert.is(local, onChain, `deviceAt(${ms})`);
  }
  const [T1, T2, T3, T4] = times as [number, number, number, number];
  assert.is(m.checkLocal(POD, d1, T1), null);
  assert.is(m.checkLocal(POD, d1, T2 - 1), null, 'old key valid for readings before the rotation');
  assert.is(m.checkLocal(POD, d1, T2), 'BAL_SIGNER_NOT_REGISTERED', 'key rotated away');
  assert.is(m.checkLocal(POD, d2, T3 - 1), null);
  assert.is(m.checkLocal(POD, d2, T3), 'BAL_DEVICE_REVOKED');
  assert.is(m.checkLocal(POD, d2, T4 + 5), 'BAL_SIGNER_NOT_REGISTERED', 'after re-registration to another device');
  assert.is(m.checkLocal(POD, d3, T4), null);
  assert.is(m.checkLocal(POD, d1, T1 - 1), 'BAL_SIGNER_NOT_REGISTERED', 'before the first registration');
  assert.is(m.checkLocal('IT001E99999999', d1, T1), 'BAL_POD_UNKNOWN');
  assert.is(m.deviceOf(POD), d3);
});

test('follows live events; a miss falls back to a deviceAt call', async () => {
  const metrics = new MetricsRegistry();
  const m = await startRegistryMirror({ provider: provider(), podRegistry: dep.podRegistry, fromBlock: dep.deployBlock, pollIntervalMs: 60_000, log: silentLogger, metrics });
  mirrors.push(m);
  const admin = new Wallet(ANVIL_PRIVATE_KEYS[0], provider());
  const reg = podRegistryAt(dep.podRegistry, admin);
  const pod2 = 'IT001E00000002';
  const dev = Wallet.createRandom().address.toLowerCase() as Address;
  await (await reg.getFunction('register')(pod2, dev)).wait();
  const block = await provider().getBlock('latest');
  const ms = block!.timestamp * 1000 + 1;
  assert.is(m.checkLocal(pod2, dev, ms), 'BAL_POD_UNKNOWN', 'mirror has not polled yet');
  assert.equal(await m.checkSigner(pod2, dev, ms), { ok: true });
  assert.is(metrics.counter('bal_registry_fallback_calls_total', '', ['result']).get({ result: 'hit' }), 1);
  const other = Wallet.createRandom().address.toLowerCase() as Address;
  const v = await m.checkSigner(pod2, other, ms);
  assert.equal(v, { ok: false, code: 'BAL_SIGNER_NOT_REGISTERED', reason: v.ok ? '' : v.reason });
  await m.syncNow();
  assert.is(m.checkLocal(pod2, dev, ms), null, 'event applied after the poll');
  await (await reg.getFunction('addSetpointSigner')(other)).wait();
  await m.syncNow();
  assert.ok(m.isSetpointSigner(other));
});

test('chain unreachable on a miss → retry verdict (not a rejection)', async () => {
  const m = await startRegistryMirror({ provider: provider(), podRegistry: dep.podRegistry, fromBlock: dep.deployBlock, pollIntervalMs: 60_000, log: silentLogger });
  mirrors.push(m);
  const dead = await startRegistryMirror({ provider: provider(), podRegistry: dep.podRegistry, fromBlock: dep.deployBlock, pollIntervalMs: 60_000, log: silentLogger });
  mirrors.push(dead);
  await anvil.stop();
  const v = await m.checkSigner('IT001E77777777', d1, Date.now());
  assert.is(v.ok, false);
  assert.ok(!v.ok && 'retry' in v, 'unreachable chain must not produce a final rejection');
  assert.is(m.checkLocal(POD, d3, times[3]!), null, 'local answers keep working without the chain');
});

test.run();
