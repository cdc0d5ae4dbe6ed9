// The helpers other packages build on: startAnvil (free port, stop, busy port), deployAll and the
// deployment file, and the `pnpm chain` command end to end (ready line, file, Ctrl-C stops anvil).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HDNodeWallet, Wallet } from 'ethers';
import { ANVIL_MNEMONIC, ANVIL_PRIVATE_KEYS, startAnvil } from '../src/anvil.js';
import { loadArtifact } from '../src/artifacts.js';
import { buildArtifacts } from '../src/build.js';
import { jsonRpcProvider, podRegistryAt, subscriptionRegistryAt } from '../src/connect.js';
import { deployAll, readDeployment, writeDeployment } from '../src/deploy.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-contracts-'));
const root = fileURLToPath(new URL('../../', import.meta.url));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test.before(() => {
  buildArtifacts({ quiet: true });
});
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('dev keys are the anvil mnemonic accounts 0..9', () => {
  for (const [i, key] of ANVIL_PRIVATE_KEYS.entries()) {
    assert.is(new Wallet(key).address, HDNodeWallet.fromPhrase(ANVIL_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).address, `account ${i}`);
  }
});

test('loadArtifact: ABI and bytecode of both contracts', () => {
  for (const name of ['PodRegistry', 'ReadingAnchor'] as const) {
    const a = loadArtifact(name);
    assert.is(a.contractName, name);
    assert.ok(a.abi.some((x) => x.type === 'function'));
    assert.match(a.bytecode, /^0x[0-9a-f]{100,}$/);
  }
});

test('startAnvil: answers on a free port, stop() kills it, a busy port is refused', async () => {
  const a = await startAnvil();
  const b = await startAnvil();
  assert.is.not(a.port, b.port);
  const p = jsonRpcProvider(a.rpcUrl, a.chainId);
  assert.is(Number((await p.getNetwork()).chainId), 31337);
  assert.is(await p.getBalance(new Wallet(ANVIL_PRIVATE_KEYS[9]).address), 10_000n * 10n ** 18n);
  p.destroy();
  await a.stop();
  await a.stop(); // idempotent
  assert.not.ok(alive(a.pid));
  await b.stop();
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    await startAnvil({ port });
    assert.unreachable('busy port accepted');
  } catch (err) {
    assert.match((err as Error).message, /already in use/);
  } finally {
    blocker.close();
  }
});

test('deployAll + write/readDeployment round trip; readDeployment names the bad field', async () => {
  const anvil = await startAnvil({ chainId: 1337 });
  try {
    const p = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
    const [w3, w4] = [new Wallet(ANVIL_PRIVATE_KEYS[3]).address, new Wallet(ANVIL_PRIVATE_KEYS[4]).address];
    const d = await deployAll(new Wallet(ANVIL_PRIVATE_KEYS[1], p), { dso: [], bal: [new Wallet(ANVIL_PRIVATE_KEYS[2]).address], topicAdmins: [w3], dsoAdmins: [w4] });
    assert.is(d.chainId, 1337);
    assert.is(d.rpcUrl, anvil.rpcUrl);
    assert.is(d.admin, new Wallet(ANVIL_PRIVATE_KEYS[1]).address.toLowerCase());
    assert.ok((await p.getCode(d.podRegistry)).length > 2 && (await p.getCode(d.readingAnchor)).length > 2);
    assert.not.ok(await podRegistryAt(d.podRegistry, p).getFunction('isDso')(d.admin), 'dso: [] grants nobody');
    const file = join(dir, 'sub', 'deployment.json');
    writeDeployment(file, d);
    assert.equal(readDeployment(file), d);
    assert.ok(d.subscriptionRegistry && (await p.getCode(d.subscriptionRegistry)).length > 2, 'SubscriptionRegistry deployed');
    const subs = subscriptionRegistryAt(d.subscriptionRegistry, p);
    const [topicRole, dsoAdminRole] = [await subs.getFunction('TOPIC_ADMIN_ROLE')(), await subs.getFunction('DSO_ADMIN_ROLE')()];
    assert.equal(
      [await subs.getFunction('hasRole')(topicRole, w3), await subs.getFunction('hasRole')(topicRole, d.admin), await subs.getFunction('hasRole')(dsoAdminRole, w4), await subs.getFunction('hasRole')(dsoAdminRole, w3)],
      [true, false, true, false], 'topicAdmins / dsoAdmins replace the defaults');
    const { subscriptionRegistry: _, ...older } = d;
    writeFileSync(file, JSON.stringify(older));
    assert.equal(readDeployment(file), { ...d, subscriptionRegistry: null }, 'a file from before SubscriptionRegistry reads with null');
    writeFileSync(file, JSON.stringify({ ...d, subscriptionRegistry: '0x12' }));
    assert.throws(() => readDeployment(file), /subscriptionRegistry/);
    writeFileSync(file, JSON.stringify({ ...d, podRegistry: '0x1234' }));
    assert.throws(() => readDeployment(file), /podRegistry/);
    writeFileSync(file, '{');
    assert.throws(() => readDeployment(file), /deployment file/);
    p.destroy();
  } finally {
    await anvil.stop();
  }
});

test('pnpm chain: deploys, writes the file, serves the chain, Ctrl-C stops anvil', async () => {
  const out = join(dir, 'chain-deployment.json');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/src/chain.ts'), '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!/"event":"chain_ready"/.test(text)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pnpm chain did not get ready:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ready = JSON.parse(text.split('\n').find((l) => l.includes('"chain_ready"'))!) as { file: string };
    assert.is(ready.file, out);
    const d = readDeployment(out);
    const pid = Number(/pid (\d+)\)/.exec(text)![1]);
    assert.ok(alive(pid), 'anvil running');
    const p = jsonRpcProvider(d.rpcUrl, d.chainId);
    const registry = podRegistryAt(d.podRegistry, p);
    assert.ok(await registry.getFunction('isDso')(d.admin), 'admin is DSO');
    p.destroy();
    child.kill('SIGINT');
    assert.is(await exited, 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.not.ok(alive(pid), 'anvil stopped with the command');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test.run();
