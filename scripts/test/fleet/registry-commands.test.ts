// fleet register / rotate / revoke / enroll / list on anvil: what the registry answers
// changes as the commands say, every write has a dry run, and mistakes get stable codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { openContext } from '../../src/fleet/context.js';
import { sendWrite } from '../../src/fleet/registry-ops.js';
import { encryptKeystore } from '../../src/fleet/keys.js';
import { increaseTime, startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { freePort } from '@lightnode/test-kit/free-port';
import { fleet } from '@lightnode/test-kit/fleet-cli';

let f: ChainFixture;
let g: string[];
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] };
const devA = Wallet.createRandom().address.toLowerCase();
const devB = Wallet.createRandom().address.toLowerCase();
const deviceOf = async (pod: string) => String(await f.registry.getFunction('deviceOf')(pod)).toLowerCase();

test.before(async () => {
  f = await startChain();
  g = ['--deployment', f.deploymentPath];
});
test.after(async () => { await f?.stop(); });

test('register binds a device; --dry-run sends nothing', async () => {
  const dry = await fleet(['register', ...g, '--pod', 'IT001E10000001', '--address', devA, '--dry-run'], env);
  assert.is(dry.code, 0, dry.err);
  assert.match(dry.out, /\[dry run\] would register IT001E10000001/);
  assert.is(await deviceOf('IT001E10000001'), '0x0000000000000000000000000000000000000000');
  const r = await fleet(['register', ...g, '--pod', 'IT001E10000001', '--address', devA], env);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /register IT001E10000001 → 0x[0-9a-f]{40} \(tx 0x[0-9a-f]{64}/);
  assert.is(await deviceOf('IT001E10000001'), devA);
  const again = await fleet(['register', ...g, '--pod', 'IT001E10000001', '--address', devA], env);
  assert.is(again.code, 0);
  assert.match(again.out, /nothing to do/);
});

test('FLEET_POD_ALREADY_BOUND: pre-checked, and mapped from the contract\'s custom error', async () => {
  const r = await fleet(['register', ...g, '--pod', 'IT001E10000001', '--address', devB, '--json'], env);
  assert.is(r.code, 1);
  assert.match(r.err, /^FLEET_POD_ALREADY_BOUND: .*already bound to 0x/);
  assert.is(JSON.parse(r.out).error.code, 'FLEET_POD_ALREADY_BOUND');
  // bypass the pre-check: the revert PodAlreadyRegistered itself becomes the same code
  const ctx = await openContext({ deployment: f.deploymentPath, env }, true);
  try {
    await sendWrite(ctx, 'register', ['IT001E10000001', devB], 'register');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as { code: string }).code, 'FLEET_POD_ALREADY_BOUND');
  } finally { ctx.close(); }
});

test('malformed PoD or address, non-DSO caller, unreachable chain: clear codes', async () => {
  const badPod = await fleet(['register', ...g, '--pod', 'FR001E1', '--address', devA], env);
  assert.is(badPod.code, 1);
  assert.match(badPod.err, /^FLEET_POD_INVALID: --pod/);
  // the last one is the EIP-55 example address with one letter's case flipped: a broken checksum
  for (const addr of ['0x1234', 'hello', '0x0000000000000000000000000000000000000000', '0x52908400098527886e0F7030069857D2E4169EE7']) {
    const r = await fleet(['register', ...g, '--pod', 'IT001E10000009', '--address', addr], env);
    assert.is(r.code, 1, addr);
    assert.match(r.err, /^FLEET_ADDRESS_INVALID/, addr);
  }
  assert.is((await fleet(['register', ...g, '--pod', 'IT001E10000009', '--address', '0x52908400098527886E0F7030069857D2E4169EE7', '--dry-run'], env)).code, 0);
  const notDso = await fleet(['register', ...g, '--pod', 'IT001E10000009', '--address', devA], { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[5] });
  assert.is(notDso.code, 1);
  assert.match(notDso.err, /^FLEET_NOT_DSO/);
  const down = await fleet(['register', ...g, '--rpc', 'http://127.0.0.1:1', '--pod', 'IT001E10000009', '--address', devA], env);
  assert.is(down.code, 1);
  assert.match(down.err, /^FLEET_CHAIN_UNREACHABLE: chain unreachable at http:\/\/127\.0\.0\.1:1: fetch failed \(bad port\)/); // fetch refuses port 1 itself
  const closed = await freePort(); // bound by the OS, then released: nothing listens there
  const refused = await fleet(['register', ...g, '--rpc', `http://127.0.0.1:${closed}`, '--pod', 'IT001E10000009', '--address', devA], env);
  assert.match(refused.err, new RegExp(`^FLEET_CHAIN_UNREACHABLE: chain unreachable at http://127\\.0\\.0\\.1:${closed}: fetch failed \\(ECONNREFUSED\\)`));
  const badBal = await fleet(['status', ...g, '--bal', 'localhost-8080']);
  assert.is(badBal.code, 2);
  assert.match(badBal.err, /^FLEET_USAGE: --bal: expected the BAL's http\(s\):\/\/host:port, found localhost-8080/);
  const balDown = await fleet(['status', ...g, '--bal', `http://127.0.0.1:${closed}`]);
  assert.is(balDown.code, 1);
  assert.match(balDown.err, new RegExp(`^FLEET_BAL_UNREACHABLE: BAL unreachable at http://127\\.0\\.0\\.1:${closed}: fetch failed \\(ECONNREFUSED\\)`));
  const noKey = await fleet(['register', ...g, '--pod', 'IT001E10000009', '--address', devA], {});
  assert.match(noKey.err, /^FLEET_KEY_MISSING/);
});

test('argument mistakes are reported as themselves before the deployment or the chain is touched', async () => {
  const none = ['--deployment', join(f.dir, 'no-such-deployment.json'), '--rpc', 'http://127.0.0.1:1'];
  const cases: [string[], number, RegExp][] = [
    [['register', ...none], 2, /^FLEET_USAGE: missing --pod/],
    [['register', ...none, '--pod', 'IT001E10000009'], 2, /^FLEET_USAGE: missing --address/],
    [['register', ...none, '--pod', 'BADPOD', '--address', devA], 1, /^FLEET_POD_INVALID: --pod/],
    [['rotate', ...none, '--pod', 'IT001E10000009', '--address', '0x123'], 1, /^FLEET_ADDRESS_INVALID: --address/],
    [['revoke', ...none, '--pod', 'it001e10000009'], 1, /^FLEET_POD_INVALID: --pod/],
    [['enroll', ...none, '--pod', 'IT001E10000009', '--address', 'hello'], 1, /^FLEET_ADDRESS_INVALID: --address/],
  ];
  for (const [args, code, reason] of cases) {
    const r = await fleet(args, env);
    assert.is(r.code, code, args.join(' '));
    assert.match(r.err, reason, args.join(' '));
    assert.not.match(r.err, /FLEET_DEPLOYMENT_INVALID|FLEET_CHAIN_UNREACHABLE|\n\s+at /, 'argument checked first, no stack');
  }
  // with the arguments right, the missing deployment is the reported problem
  const r = await fleet(['register', ...none, '--pod', 'IT001E10000009', '--address', devA], env);
  assert.match(r.err, /^FLEET_DEPLOYMENT_INVALID: cannot read deployment file/);
});

test('rotate and revoke change what the registry answers, now and historically', async () => {
  const pod = 'IT001E10000001';
  const dry = await fleet(['rotate', ...g, '--pod', pod, '--address', devB, '--dry-run'], env);
  assert.is(dry.code, 0, dry.err);
  assert.is(await deviceOf(pod), devA);
  await increaseTime(f.provider, 10); // chain time moves on: the old binding gets a non-empty period
  const r = await fleet(['rotate', ...g, '--pod', pod, '--address', devB], env);
  assert.is(r.code, 0, r.err);
  assert.is(await deviceOf(pod), devB);
  const block = await f.provider.getBlock('latest');
  const rotatedAt = Number(block!.timestamp) * 1000;
  assert.is(String(await f.registry.getFunction('deviceAt')(pod, rotatedAt - 1)).toLowerCase(), devA);
  assert.is(String(await f.registry.getFunction('deviceAt')(pod, rotatedAt)).toLowerCase(), devB);
  assert.is((await fleet(['revoke', ...g, '--pod', pod, '--dry-run'], env)).code, 0);
  assert.is(await deviceOf(pod), devB);
  const rv = await fleet(['revoke', ...g, '--pod', pod], env);
  assert.is(rv.code, 0, rv.err);
  assert.is(await deviceOf(pod), '0x0000000000000000000000000000000000000000');
  const again = await fleet(['revoke', ...g, '--pod', pod], env);
  assert.match(again.err, /^FLEET_POD_NOT_REGISTERED/);
  const rotUnknown = await fleet(['rotate', ...g, '--pod', 'IT001E19999999', '--address', devA], env);
  assert.match(rotUnknown.err, /^FLEET_POD_NOT_REGISTERED/);
});

test('enroll registers the address a device showed; --replace rotates a swapped device', async () => {
  const pod = 'IT002E20000001';
  const dry = await fleet(['enroll', ...g, '--pod', pod, '--address', devA, '--dry-run'], env);
  assert.is(dry.code, 0, dry.err);
  assert.match(dry.out, new RegExp(`^\\[dry run\\] would register ${pod} → ${devA}\n$`));
  assert.is(await deviceOf(pod), '0x0000000000000000000000000000000000000000', 'dry run sent nothing');
  const e = await fleet(['enroll', ...g, '--pod', pod, '--address', devA], env);
  assert.is(e.code, 0, e.err);
  assert.is(await deviceOf(pod), devA);
  const bound = await fleet(['enroll', ...g, '--pod', pod, '--address', devB], env);
  assert.match(bound.err, /^FLEET_POD_ALREADY_BOUND/);
  const drySwap = await fleet(['enroll', ...g, '--pod', pod, '--address', devB, '--replace', '--dry-run'], env);
  assert.is(drySwap.code, 0, drySwap.err);
  assert.match(drySwap.out, new RegExp(`^\\[dry run\\] would rotate ${pod}: ${devA} → ${devB}\n$`));
  assert.is(await deviceOf(pod), devA, 'dry run sent nothing');
  const swap = await fleet(['enroll', ...g, '--pod', pod, '--address', devB, '--replace'], env);
  assert.is(swap.code, 0, swap.err);
  assert.is(await deviceOf(pod), devB);
});

test('list folds the registry events: active and revoked PoDs with their devices', async () => {
  const r = await fleet(['list', ...g, '--json']);
  assert.is(r.code, 0, r.err);
  const entries = JSON.parse(r.out) as { pod: string; device: string | null; state: string; changes: number }[];
  const byPod = new Map(entries.map((e) => [e.pod, e]));
  assert.equal(byPod.get('IT001E10000001'), { ...byPod.get('IT001E10000001')!, device: null, state: 'revoked', changes: 3 });
  assert.equal(byPod.get('IT002E20000001'), { ...byPod.get('IT002E20000001')!, device: devB, state: 'active', changes: 2 });
  const table = await fleet(['list', ...g]);
  assert.match(table.out, /IT002E20000001\s+active/);
});

test('`pnpm --filter @lightnode/scripts fleet` resolves a relative --deployment against the folder it was typed in', async () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const r = spawnSync('pnpm', ['-C', root, '--silent', '--filter', '@lightnode/scripts', 'fleet', 'list', '--json', '--deployment', 'deployment.json'], { cwd: f.dir, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.ok((JSON.parse(r.stdout) as { pod: string }[]).some((e) => e.pod === 'IT002E20000001'));
});

test('DSO key from an encrypted keystore (password from FLEET_KEYSTORE_PASSWORD); wrong password refused', async () => {
  const path = join(f.dir, 'dso.json');
  writeFileSync(path, await encryptKeystore(ANVIL_PRIVATE_KEYS[0], 'correct horse', 1 << 10));
  const ok = await fleet(['register', ...g, '--keystore', path, '--pod', 'IT003E30000001', '--address', devA], { FLEET_KEYSTORE_PASSWORD: 'correct horse' });
  assert.is(ok.code, 0, ok.err);
  assert.is(await deviceOf('IT003E30000001'), devA);
  const bad = await fleet(['register', ...g, '--keystore', path, '--pod', 'IT003E30000002', '--address', devA], { FLEET_KEYSTORE_PASSWORD: 'wrong' });
  assert.is(bad.code, 1);
  assert.match(bad.err, /^FLEET_KEYSTORE_INVALID/);
  assert.not.match(bad.err, new RegExp(ANVIL_PRIVATE_KEYS[0].slice(2, 20)));
});

test('keystore-new: 0600 keystore that opens to the printed address; dry run, bad --scrypt-n, no password and an existing file refused', async () => {
  const out = join(f.dir, 'new-dso.json');
  const pw = { FLEET_KEYSTORE_PASSWORD: 'battery staple' };
  const noPw = await fleet(['keystore-new', '--out', out]);
  assert.is(noPw.code, 2);
  assert.match(noPw.err, /^FLEET_USAGE: missing FLEET_KEYSTORE_PASSWORD/);
  const badN = await fleet(['keystore-new', '--out', out, '--scrypt-n', '3000'], pw);
  assert.is(badN.code, 2);
  assert.match(badN.err, /^FLEET_USAGE: --scrypt-n: expected a power of two >= 1024, found 3000\n/);
  assert.not.match(badN.err, /unexpected error|\n\s+at /);
  const dry = await fleet(['keystore-new', '--out', out, '--scrypt-n', '1024', '--dry-run'], pw);
  assert.is(dry.code, 0, dry.err);
  assert.not.ok(existsSync(out), 'dry run writes nothing');
  const made = await fleet(['keystore-new', '--out', out, '--scrypt-n', '1024'], pw);
  assert.is(made.code, 0, made.err);
  const address = /for (0x[0-9a-f]{40})/.exec(made.out)![1]!;
  assert.is(statSync(out).mode & 0o777, 0o600);
  const json = readFileSync(out, 'utf8');
  assert.is((await Wallet.fromEncryptedJson(json, 'battery staple')).address.toLowerCase(), address);
  const again = await fleet(['keystore-new', '--out', out, '--scrypt-n', '1024'], pw);
  assert.is(again.code, 2);
  assert.match(again.err, /^FLEET_USAGE: --out .* exists; a keystore is never overwritten/);
  assert.is(readFileSync(out, 'utf8'), json, 'the existing key is kept');
});

test.run();
