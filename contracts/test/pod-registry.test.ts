// PodRegistry on a real anvil: roles, register/rotate/revoke semantics over time, errors, events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, ZeroAddress, type Contract } from 'ethers';
import { increaseTime, startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { eventsOf, expectRevert, send } from './helpers/chain.js';

let fx: ChainFixture;
let dsoRole: string;
const POD_A = 'IT001E00000001';
const POD_B = 'IT001E00000002';
const POD_C = 'IT001E00000003X';

test.before(async () => {
  fx = await startChain();
  dsoRole = (await fx.registry.getFunction('DSO_ROLE')()) as string;
});
test.after(async () => {
  await fx?.stop();
});

const addr = (i: number): string => fx.wallets[i]!.address;
const as = (i: number): Contract => fx.registry.connect(fx.wallets[i]!) as Contract;

test('deployer is admin, DSO and BAL; others are not', async () => {
  assert.is(fx.deployment.admin, addr(0).toLowerCase());
  assert.ok(await fx.registry.getFunction('isDso')(addr(0)));
  assert.not.ok(await fx.registry.getFunction('isDso')(addr(1)));
  assert.ok(await fx.anchor.getFunction('isBal')(addr(0)));
  assert.is(((await fx.anchor.getFunction('podRegistry')()) as string).toLowerCase(), fx.deployment.podRegistry);
});

test('every write function reverts NotDso for a non-DSO account', async () => {
  const r = as(5);
  const calls: [string, unknown[]][] = [
    ['register', [POD_A, addr(6)]],
    ['registerBatch', [[POD_A], [addr(6)]]],
    ['rotate', [POD_A, addr(6)]],
    ['revoke', [POD_A]],
    ['addSetpointSigner', [addr(6)]],
    ['removeSetpointSigner', [addr(6)]],
  ];
  for (const [fn, args] of calls) {
    const [who] = await expectRevert(fx.registry, r.getFunction(fn)(...args), 'NotDso');
    assert.is(who, addr(5), fn);
  }
});

test('only the admin grants and revokes the DSO role', async () => {
  await expectRevert(fx.registry, as(5).getFunction('grantRole')(dsoRole, addr(5)), 'AccessControlUnauthorizedAccount');
  const rc = await send(fx.registry, 'grantRole', dsoRole, addr(1));
  assert.is(eventsOf(fx.registry, rc, 'RoleGranted').length, 1);
  assert.ok(await fx.registry.getFunction('isDso')(addr(1)));
  await send(as(1), 'register', POD_C, addr(7)); // the new DSO can write
  await send(fx.registry, 'revokeRole', dsoRole, addr(1));
  assert.not.ok(await fx.registry.getFunction('isDso')(addr(1)));
  await expectRevert(fx.registry, as(1).getFunction('revoke')(POD_C), 'NotDso');
});

test('register: validation errors are distinguishable', async () => {
  await expectRevert(fx.registry, fx.registry.getFunction('register')(POD_A, ZeroAddress), 'ZeroAddress');
  for (const bad of ['', 'IT001E1234567', 'IT001E123456789X', 'it001E12345678', 'IT001X12345678', 'IT0A1E12345678', 'IT001E12345678x']) {
    const [pod] = await expectRevert(fx.registry, fx.registry.getFunction('register')(bad, addr(6)), 'InvalidPod');
    assert.is(pod, bad);
  }
  const [a, b] = await expectRevert(fx.registry, fx.registry.getFunction('registerBatch')([POD_A, POD_B], [addr(6)]), 'LengthMismatch');
  assert.equal([a, b], [2n, 1n]);
  await expectRevert(fx.registry, fx.registry.getFunction('rotate')('IT999E99999999', addr(6)), 'PodNotRegistered');
  await expectRevert(fx.registry, fx.registry.getFunction('revoke')('IT999E99999999'), 'PodNotRegistered');
  assert.ok(await fx.registry.getFunction('isValidPod')('IT001E12345678'));
  assert.ok(await fx.registry.getFunction('isValidPod')('IT001E12345678A'));
});

test('register / rotate / revoke: deviceAt answers the device valid at each time', async () => {
  const [dev1, dev2, dev3] = [addr(6), addr(7), addr(8)];
  const r1 = await send(fx.registry, 'register', POD_A, dev1);
  const [reg] = eventsOf(fx.registry, r1, 'DeviceRegistered');
  const t1 = Number(reg!.validFromMs);
  const block1 = await fx.provider.getBlock(r1.blockNumber);
  assert.is(t1, block1!.timestamp * 1000, 'validFromMs = block.timestamp * 1000');
  assert.equal([reg!.pod, reg!.device], [POD_A, dev1]);
  assert.is(await fx.registry.getFunction('deviceOf')(POD_A), dev1);

  const [pod, bound] = await expectRevert(fx.registry, fx.registry.getFunction('register')(POD_A, dev2), 'PodAlreadyRegistered');
  assert.equal([pod, bound], [POD_A, dev1]);
  await expectRevert(fx.registry, fx.registry.getFunction('rotate')(POD_A, dev1), 'SameDevice');
  await expectRevert(fx.registry, fx.registry.getFunction('rotate')(POD_A, ZeroAddress), 'ZeroAddress');

  await increaseTime(fx.provider, 100);
  const r2 = await send(fx.registry, 'rotate', POD_A, dev2);
  const [rot] = eventsOf(fx.registry, r2, 'DeviceRotated');
  const t2 = Number(rot!.atMs);
  assert.equal([rot!.pod, rot!.oldDevice, rot!.newDevice], [POD_A, dev1, dev2]);
  assert.ok(t2 >= t1 + 100_000, 'rotation after the time jump');
  assert.is(await fx.registry.getFunction('deviceOf')(POD_A), dev2);

  await increaseTime(fx.provider, 50);
  const r3 = await send(fx.registry, 'revoke', POD_A);
  const [rev] = eventsOf(fx.registry, r3, 'DeviceRevoked');
  const t3 = Number(rev!.atMs);
  assert.equal([rev!.pod, rev!.device], [POD_A, dev2]);
  assert.is(await fx.registry.getFunction('deviceOf')(POD_A), ZeroAddress);

  const at = async (t: number): Promise<string> => (await fx.registry.getFunction('deviceAt')(POD_A, t)) as string;
  assert.is(await at(t1 - 1), ZeroAddress, 'before registration: nobody');
  assert.is(await at(t1), dev1, 'registration instant belongs to dev1');
  assert.is(await at(t2 - 1), dev1, 'a reading signed before the rotation stays dev1');
  assert.is(await at(t2), dev2, 'rotation instant belongs to the new device');
  assert.is(await at(t3 - 1), dev2, 'a reading signed before the revoke stays valid');
  assert.is(await at(t3), ZeroAddress, 'revoked at t3');
  assert.is(await at(t3 + 10_000_000), ZeroAddress);
  await expectRevert(fx.registry, fx.registry.getFunction('revoke')(POD_A), 'PodNotRegistered');
  await expectRevert(fx.registry, fx.registry.getFunction('rotate')(POD_A, dev3), 'PodNotRegistered');

  // A revoked PoD can be registered again; history keeps every period.
  await increaseTime(fx.provider, 10);
  const r4 = await send(fx.registry, 'register', POD_A, dev3);
  const t4 = Number(eventsOf(fx.registry, r4, 'DeviceRegistered')[0]!.validFromMs);
  assert.is(await at(t3 + 1), ZeroAddress, 'gap between revoke and re-registration');
  assert.is(await at(t4), dev3);
  assert.is(await at(t2 + 1), dev2, 'old periods still answer');
  const history = (await fx.registry.getFunction('historyOf')(POD_A)) as { device: string; validFromMs: bigint; validToMs: bigint }[];
  assert.equal(
    history.map((h) => [h.device, Number(h.validFromMs), Number(h.validToMs)]),
    [[dev1, t1, t2], [dev2, t2, t3], [dev3, t4, 0]],
  );
  assert.is(await fx.registry.getFunction('deviceAt')('IT001E77777777', t4), ZeroAddress, 'unknown PoD');
});

test('registerBatch is all-or-nothing and emits one event per PoD', async () => {
  const pods = ['IT002E00000001', 'IT002E00000002', 'IT002E00000003'];
  const devs = [addr(6), addr(7), addr(8)];
  const before = (await fx.registry.getFunction('podCount')()) as bigint;
  // The third PoD is already bound (registered in an earlier test): nothing of the batch sticks.
  await expectRevert(fx.registry, fx.registry.getFunction('registerBatch')([...pods.slice(0, 2), POD_C], devs), 'PodAlreadyRegistered');
  assert.is(await fx.registry.getFunction('deviceOf')(pods[0]), ZeroAddress);
  const rc = await send(fx.registry, 'registerBatch', pods, devs);
  const evs = eventsOf(fx.registry, rc, 'DeviceRegistered');
  assert.equal(evs.map((e) => [e.pod, e.device]), pods.map((p, i) => [p, devs[i]]));
  assert.is((await fx.registry.getFunction('podCount')()) as bigint, before + 3n);
  for (let i = 0; i < pods.length; i++) assert.is(await fx.registry.getFunction('deviceOf')(pods[i]), devs[i]);
});

test('setpoint signers: add, list, remove, errors and events', async () => {
  const s1 = Wallet.createRandom().address;
  const s2 = Wallet.createRandom().address;
  const s3 = Wallet.createRandom().address;
  const rc = await send(fx.registry, 'addSetpointSigner', s1);
  assert.equal(eventsOf(fx.registry, rc, 'SetpointSignerAdded').map((e) => e.signer), [s1]);
  await send(fx.registry, 'addSetpointSigner', s2);
  await send(fx.registry, 'addSetpointSigner', s3);
  await expectRevert(fx.registry, fx.registry.getFunction('addSetpointSigner')(s2), 'SetpointSignerExists');
  await expectRevert(fx.registry, fx.registry.getFunction('addSetpointSigner')(ZeroAddress), 'ZeroAddress');
  assert.equal([...((await fx.registry.getFunction('setpointSigners')()) as string[])], [s1, s2, s3]);
  const rc2 = await send(fx.registry, 'removeSetpointSigner', s1);
  assert.equal(eventsOf(fx.registry, rc2, 'SetpointSignerRemoved').map((e) => e.signer), [s1]);
  await expectRevert(fx.registry, fx.registry.getFunction('removeSetpointSigner')(s1), 'SetpointSignerUnknown');
  assert.equal([...((await fx.registry.getFunction('setpointSigners')()) as string[])].sort(), [s2, s3].sort());
  assert.not.ok(await fx.registry.getFunction('isSetpointSigner')(s1));
  assert.ok(await fx.registry.getFunction('isSetpointSigner')(s3));
  await send(fx.registry, 'removeSetpointSigner', s3);
  await send(fx.registry, 'removeSetpointSigner', s2);
  assert.equal([...((await fx.registry.getFunction('setpointSigners')()) as string[])], []);
});

test.run();
