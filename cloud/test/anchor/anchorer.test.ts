// Anchoring on a real anvil + the SQLite store: windows closed by size and by time, one
// ReadingAnchor tx per window chained to the previous one, roots equal to OpenZeppelin's
// SimpleMerkleTree over the window's digests, inclusion verified on chain; chain down →
// readings stay pending, backlog anchored in order once the RPC answers again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { ANVIL_PRIVATE_KEYS, type AnvilHandle } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import type { Deployment } from '@lightnode/contracts/deploy';
import { jsonRpcProvider, readingAnchorAt } from '@lightnode/contracts/connect';
import { makeDomain, readingDigest, signReading } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes } from '@lightnode/shared/hex';
import { FakeClock } from '@lightnode/shared/clock';
import type { Clock } from '../../src/clock.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore, StoredReadingInput } from '../../src/store/types.js';
import type { Hex } from '@lightnode/shared/hex';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { startAnchorer, type Anchorer } from '../../src/anchor/anchorer.js';
import { computeAnchorHash } from '../../src/anchor/window.js';
import { startChainProxy, type ChainProxy } from './chain-proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-anchor-'));
let chain: ChainFixture;
let anvil: AnvilHandle;
let dep: Deployment;
let proxy: ChainProxy;
const cleanups: (() => Promise<void>)[] = [];
const key = Wallet.createRandom();
let seq = 0;

function readings(n: number, domain: ReturnType<typeof makeDomain>): StoredReadingInput[] {
  const out: StoredReadingInput[] = [];
  for (let i = 0; i < n; i++) {
    const r = { pod: 'IT001E00000001', meter: 'm1', seq: seq++, timestamp: 1_763_776_000_000 + seq * 1000, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }] };
    const signed = signReading(domain, r, hexToBytes(key.privateKey));
    out.push({ reading: signed, digest: bytesToHex(readingDigest(domain, r)), signer: key.address.toLowerCase() as Hex, receivedAtMs: Date.now() });
  }
  return out;
}

test.before(async () => {
  chain = await startChain();
  anvil = chain.anvil;
  dep = chain.deployment;
  proxy = await startChainProxy(anvil.port);
});

test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await proxy?.close();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function setup(name: string, config: Parameters<typeof startAnchorer>[0]['config'], clock?: Clock): Promise<{ store: BalStore; anchorer: Anchorer; metrics: MetricsRegistry }> {
  const store = openSqliteStore({ path: join(dir, `${name}.db`) });
  const metrics = new MetricsRegistry();
  const signer = new Wallet(ANVIL_PRIVATE_KEYS[0], jsonRpcProvider(proxy.url, anvil.chainId));
  const anchorer = startAnchorer({ store, signer, readingAnchor: dep.readingAnchor, metrics, log: silentLogger, config: { pollIntervalMs: 50, ...config }, clock });
  cleanups.push(async () => { await anchorer.stop(); await store.close(); });
  return { store, anchorer, metrics };
}

async function checkOnChain(store: BalStore, fromIndex: number): Promise<number> {
  const c = readingAnchorAt(dep.readingAnchor, jsonRpcProvider(anvil.rpcUrl, anvil.chainId));
  const count = Number(await c.getFunction('anchorCount')());
  let prev: Hex | null = null;
  for (let i = fromIndex; i < count; i++) {
    const rec = await store.anchorByIndex(i);
    assert.ok(rec, `anchor ${i} in the store`);
    assert.is(rec!.status, 'confirmed');
    const leaves = (await store.readingsOfAnchor(i)).map((r) => r.digest);
    assert.is(leaves.length, rec!.leafCount);
    const oz = SimpleMerkleTree.of(leaves);
    const onChain = await c.getFunction('getAnchor')(i);
    assert.is((onChain.root as string).toLowerCase(), oz.root.toLowerCase(), `root of anchor ${i} = OZ SimpleMerkleTree root`);
    assert.is(rec!.root, oz.root.toLowerCase());
    assert.is(Number(onChain.leafCount), leaves.length);
    const expectHash = computeAnchorHash(rec!.prevHash, rec!.root, rec!.leafCount, rec!.fromMs, rec!.toMs);
    assert.is((onChain.anchorHash as string).toLowerCase(), expectHash);
    if (prev !== null) assert.is(rec!.prevHash, prev, 'chained to the previous anchor');
    prev = expectHash;
    for (const leaf of [leaves[0]!, leaves[leaves.length - 1]!]) {
      assert.ok(await c.getFunction('verifyInclusion')(i, leaf, oz.getProof(leaf)), `inclusion of ${leaf} on chain`);
    }
  }
  return count;
}

test('windows closed by size: one chained tx per window, OZ-equal roots, inclusion on chain', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const { store, anchorer, metrics } = await setup('size', { maxLeaves: 4, windowMs: 3_600_000 });
  await store.storeBatch(readings(10, domain));
  const deadline = Date.now() + 20_000;
  while ((await store.counts()).pending > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  assert.is((await store.counts()).pending, 2, 'the last 2 readings wait for their window to fill or age');
  await anchorer.flush();
  assert.is((await store.counts()).pending, 0);
  assert.is(await checkOnChain(store, 0), 3, '10 readings / 4 per window = 3 anchors');
  assert.is(metrics.counter('bal_anchor_confirmed_total', '').get(), 3);
});

test('windows closed by time (fake clock)', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  // The poll timer sits on the fake clock too: only these explicit ticks run passes.
  const clock = new FakeClock(Date.now());
  const { store, anchorer } = await setup('time', { maxLeaves: 1000, windowMs: 60_000, pollIntervalMs: 3_600_000 }, clock);
  const c = readingAnchorAt(dep.readingAnchor, jsonRpcProvider(anvil.rpcUrl, anvil.chainId));
  const before = Number(await c.getFunction('anchorCount')());
  await store.storeBatch(readings(5, domain).map((x) => ({ ...x, receivedAtMs: clock.now() })));
  await clock.advance(59_000);
  await anchorer.tick();
  assert.is((await store.counts()).pending, 5, 'window still open at 59 s');
  await clock.advance(2_000);
  await anchorer.tick();
  await anchorer.tick();
  assert.is((await store.counts()).pending, 0, 'closed after 61 s');
  assert.is(Number(await c.getFunction('anchorCount')()), before + 1);
  await checkOnChain(store, before);
});

test('confirmations: an anchor stays sent (readings anchored) until its block has N confirmations', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  // Passes only on explicit ticks (the poll timer is on a fake clock): a background pass
  // running between the test's evm_mine and its tick would make the counts racy.
  const { store, anchorer, metrics } = await setup('confirm', { maxLeaves: 2, windowMs: 3_600_000, confirmations: 3 }, new FakeClock(Date.now()));
  const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
  const { ids } = await store.storeBatch(readings(2, domain));
  await anchorer.tick(); // the window is full: recorded, then broadcast (and auto-mined)
  const [sent] = await store.unconfirmedAnchors();
  assert.ok(sent, 'anchor recorded and sent');
  const mined = await provider.getTransactionReceipt(sent!.transaction);
  assert.ok(mined, 'the anchor transaction is mined');
  const status = async (): Promise<string[]> => [(await store.anchorByTransaction(sent!.transaction))!.status, ...(await Promise.all(ids.map(async (id) => (await store.readingById(id))!.status)))];
  await anchorer.tick();
  assert.equal(await status(), ['sent', 'anchored', 'anchored'], '1 confirmation of 3');
  await provider.send('evm_mine', []);
  await anchorer.tick();
  assert.equal(await status(), ['sent', 'anchored', 'anchored'], '2 confirmations of 3');
  assert.is(metrics.counter('bal_anchor_confirmed_total', '').get(), 0);
  await provider.send('evm_mine', []);
  await anchorer.tick();
  assert.equal(await status(), ['confirmed', 'confirmed', 'confirmed'], '3 confirmations');
  assert.is((await store.anchorByTransaction(sent!.transaction))!.blockNumber, mined!.blockNumber);
  assert.is(metrics.counter('bal_anchor_confirmed_total', '').get(), 1);
});

test('chain down: ingest side keeps storing, nothing lost; backlog anchored in order when it returns', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const c = readingAnchorAt(dep.readingAnchor, jsonRpcProvider(anvil.rpcUrl, anvil.chainId));
  const before = Number(await c.getFunction('anchorCount')());
  const { store, anchorer, metrics } = await setup('down', { maxLeaves: 3, windowMs: 0 });
  await proxy.down();
  const first = readings(4, domain);
  await store.storeBatch(first);
  await anchorer.tick();
  await store.storeBatch(readings(4, domain));
  await anchorer.tick();
  assert.is((await store.counts()).pending, 8, 'nothing anchored while the chain is down');
  assert.ok(metrics.counter('bal_anchor_chain_errors_total', '').get() >= 1, 'chain errors counted');
  assert.is(Number(await c.getFunction('anchorCount')()), before);
  await proxy.up();
  await anchorer.flush();
  const count = await checkOnChain(store, before);
  assert.is(count - before, 3, '8 readings in windows of 3');
  const firstAnchor = await store.readingsOfAnchor(before);
  assert.equal(firstAnchor.map((r) => r.digest), first.slice(0, 3).map((x) => x.digest), 'oldest readings anchored first');
});

test('restart: a sent anchor is confirmed by the next process; a lost one is abandoned and re-anchored', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const rpc = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
  const c = readingAnchorAt(dep.readingAnchor, rpc);
  const path = join(dir, 'restart.db');
  const metrics = new MetricsRegistry();
  const signer = () => new Wallet(ANVIL_PRIVATE_KEYS[0], jsonRpcProvider(proxy.url, anvil.chainId));
  const open = (store: BalStore) => startAnchorer({ store, signer: signer(), readingAnchor: dep.readingAnchor, metrics, log: silentLogger, config: { pollIntervalMs: 3_600_000, windowMs: 0, maxLeaves: 100 } });
  const before = Number(await c.getFunction('anchorCount')());

  // 1. sent but not mined when the process stops; mined later; a new process confirms it.
  let store = openSqliteStore({ path });
  await store.storeBatch(readings(3, domain));
  await rpc.send('evm_setAutomine', [false]);
  let a = open(store);
  await a.tick();
  assert.is((await store.unconfirmedAnchors()).length, 1, 'recorded (write-ahead) and broadcast');
  await a.stop(); await store.close();
  await rpc.send('evm_mine', []);
  await rpc.send('evm_setAutomine', [true]);
  store = openSqliteStore({ path });
  a = open(store);
  await a.tick();
  assert.is((await store.unconfirmedAnchors()).length, 0, 'confirmed after restart');
  assert.is((await store.anchorByIndex(before))?.status, 'confirmed');
  await a.stop();

  // 2. sent, then lost from the node's pool while the process was down: abandoned, re-anchored.
  await store.storeBatch(readings(2, domain));
  await rpc.send('evm_setAutomine', [false]);
  a = open(store);
  await a.tick();
  const lost = (await store.unconfirmedAnchors())[0]!;
  await a.stop(); await store.close();
  await rpc.send('anvil_dropAllTransactions', []);
  await rpc.send('evm_setAutomine', [true]);
  store = openSqliteStore({ path });
  a = open(store);
  await a.tick(); // abandons the lost anchor (readings back to pending)
  assert.is(await store.anchorByTransaction(lost.transaction), null);
  assert.is(metrics.counter('bal_anchor_abandoned_total', '').get(), 1);
  await a.flush();
  assert.is(Number(await c.getFunction('anchorCount')()), before + 2, 'no orphan anchor on chain');
  await checkOnChain(store, before);
  await a.stop(); await store.close();
});

test.run();
