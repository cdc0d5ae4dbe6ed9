// fleet data-server register / allow / rotate / remove / revoke on anvil (issue 13 §4): the
// DataServerRegistry answers what the commands say, --dry-run sends nothing, mistakes get codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { dataServerRegistryClient, type DataServerRegistryClient } from '@lightnode/contracts/data-servers/client';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { fleet } from '@lightnode/test-kit/fleet-cli';

let f: ChainFixture;
let g: string[];
let reader: DataServerRegistryClient;
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0]! };
const k1 = Wallet.createRandom().address.toLowerCase();
const k2 = Wallet.createRandom().address.toLowerCase();
const now = async () => (await f.provider.getBlock('latest'))!.timestamp * 1000;

test.before(async () => {
  f = await startChain();
  g = ['--deployment', f.deploymentPath];
  reader = dataServerRegistryClient(f.deployment.dataServerRegistry!, f.provider);
});
test.after(async () => { await f?.stop(); });

test('register (dry run first), allow PoDs from a list and a CSV, rotate, remove, revoke', async () => {
  const dry = await fleet(['data-server', 'register', ...g, '--server', 'dso-gr-01', '--address', k1, '--dry-run'], env);
  assert.is(dry.code, 0, dry.err);
  assert.match(dry.out, /\[dry run\] would register data server dso-gr-01/);
  assert.is(await reader.keyOf('dso-gr-01'), null, 'nothing sent');
  const reg = await fleet(['data-server', 'register', ...g, '--server', 'dso-gr-01', '--address', k1], env);
  assert.is(reg.code, 0, reg.err);
  assert.is(await reader.keyOf('dso-gr-01'), k1);

  const allow = await fleet(['data-server', 'allow', ...g, '--server', 'dso-gr-01', '--pod', 'IT001E00000001,IT001E00000002', '--json'], env);
  assert.is(allow.code, 0, allow.err);
  assert.equal(JSON.parse(allow.out).pods, ['IT001E00000001', 'IT001E00000002']);
  const csv = join(f.dir, 'pods.csv');
  writeFileSync(csv, 'pod,site\nIT001E00000003,a\nIT001E00000004,b\n');
  assert.is((await fleet(['data-server', 'allow', ...g, '--server', 'dso-gr-01', '--from', csv], env)).code, 0);
  const t = await now();
  for (const p of ['IT001E00000001', 'IT001E00000004']) assert.ok(await reader.maySpeakFor('dso-gr-01', p, t), p);

  assert.is((await fleet(['data-server', 'rotate', ...g, '--server', 'dso-gr-01', '--address', k2], env)).code, 0);
  assert.is(await reader.keyOf('dso-gr-01'), k2);
  assert.is((await fleet(['data-server', 'remove', ...g, '--server', 'dso-gr-01', '--pod', 'IT001E00000002'], env)).code, 0);
  assert.not.ok(await reader.maySpeakFor('dso-gr-01', 'IT001E00000002', await now()));
  assert.is((await fleet(['data-server', 'revoke', ...g, '--server', 'dso-gr-01'], env)).code, 0);
  assert.is(await reader.keyOf('dso-gr-01'), null);
});

test('mistakes: bad id or PoD (usage), contract refusals named, a non-DSO key refused', async () => {
  const badId = await fleet(['data-server', 'register', ...g, '--server', 'bad/id', '--address', k1], env);
  assert.is(badId.code, 2);
  assert.match(badId.err, /FLEET_USAGE/);
  const badPod = await fleet(['data-server', 'allow', ...g, '--server', 'x', '--pod', 'IT1'], env);
  assert.match(badPod.err, /FLEET_POD_INVALID/);
  const unknown = await fleet(['data-server', 'rotate', ...g, '--server', 'never', '--address', k1], env);
  assert.is(unknown.code, 1);
  assert.match(unknown.err, /ServerNotRegistered/);
  const outsider = await fleet(['data-server', 'register', ...g, '--server', 'other', '--address', k1], { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[7]! });
  assert.is(outsider.code, 1);
  assert.match(outsider.err, /FLEET_NOT_DSO/);
});

test.run();
