// A stale leader's anchor transaction landing after it lost the lease, unrecorded in the store
// (real anvil, one SQLite store shared by two anchorers run one after the other, one anchoring
// account as in production). Leader a records anchor 0 and "broadcasts" it to a node the next
// leader b cannot see (the test holds the signed transaction). b finds it unknown, abandons it
// (readings back to pending) and records its own anchor 0, same nonce; then a's transaction lands
// first. b's can no longer land (index taken, nonce used): b abandons it, adopts a's anchor (its
// root is the pending readings' window) and goes on — the store's anchors stay contiguous and
// agree with the chain, every reading in exactly one anchor. An anchor on chain whose root is
// not the pending readings' is left unrecorded (counted) and anchoring goes on after it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, FetchRequest, Transaction, Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { readingAnchorAt } from '@lightnode/contracts/connect';
import { makeDomain, readingDigest, signReading } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes, type Hex } from '@lightnode/shared/hex';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore, StoredReadingInput } from '../../src/store/types.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { startAnchorer, type Anchorer } from '../../src/anchor/anchorer.js';
import { computeAnchorHash } from '../../src/anchor/window.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-stale-'));
let chain: ChainFixture;
const key = Wallet.createRandom();
let seq = 0;
const cleanups: (() => Promise<void>)[] = [];
test.before(async () => { chain = await startChain(); });
test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function readings(n: number): StoredReadingInput[] {
  const domain = makeDomain(chain.deployment.chainId, chain.deployment.podRegistry);
  return Array.from({ length: n }, () => {
    const r = { pod: 'IT001E00000061', meter: 'm1', seq: seq++, timestamp: 1_763_776_000_000 + seq * 1000, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }] };
    return { reading: signReading(domain, r, hexToBytes(key.privateKey)), digest: bytesToHex(readingDigest(domain, r)), signer: key.address.toLowerCase() as Hex, receivedAtMs: Date.now() - 60_000 };
  });
}

/** A provider whose broadcasts can be held back (sent to "another node" the next leader cannot see). */
class HoldingProvider extends JsonRpcProvider {
  hold = false;
  readonly held: string[] = [];
  override async broadcastTransaction(signed: string) {
    if (this.hold) { this.held.push(signed); return undefined as never; }
    return super.broadcastTransaction(signed);
  }
}
const newProvider = () => new HoldingProvider(new FetchRequest(chain.anvil.rpcUrl), chain.anvil.chainId, { staticNetwork: true, cacheTimeout: -1 });

function anchorer(store: BalStore, provider: JsonRpcProvider, metrics = new MetricsRegistry(), maxLeaves = 4): Anchorer {
  const a = startAnchorer({ store, signer: new Wallet(ANVIL_PRIVATE_KEYS[0], provider), readingAnchor: chain.deployment.readingAnchor, metrics, log: process.env.DEBUG_STALE ? createLogger({ level: 'debug' }) : silentLogger,
    config: { pollIntervalMs: 3_600_000, windowMs: 1, maxLeaves, confirmations: 1 } });
  cleanups.push(() => a.stop());
  return a;
}

async function contiguous(store: BalStore): Promise<{ anchors: number; readings: number }> {
  const ra = readingAnchorAt(chain.deployment.readingAnchor, newProvider());
  const count = Number(await ra.getFunction('anchorCount')());
  const seen = new Map<number, number>();
  let prev = `0x${'0'.repeat(64)}`;
  let recorded = 0;
  for (let i = 0; i < count; i++) {
    const on = await ra.getFunction('getAnchor')(i);
    prev = (on.anchorHash as string).toLowerCase();
    const rec = await store.anchorByIndex(i);
    if (!rec) continue;
    recorded++;
    assert.is(rec.status, 'confirmed', `anchor ${i} confirmed`);
    assert.is(rec.root, (on.root as string).toLowerCase(), `anchor ${i}: store and chain agree`);
    assert.is(computeAnchorHash(rec.prevHash, rec.root, rec.leafCount, rec.fromMs, rec.toMs), prev, `anchor ${i} chains`);
    for (const r of await store.readingsOfAnchor(i)) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  }
  assert.ok([...seen.values()].every((n) => n === 1), 'no reading in two recorded anchors');
  return { anchors: recorded, readings: seen.size };
}

test("a stale leader's transaction lands after the next leader abandoned it: adopted, anchors stay contiguous", async () => {
  const store = openSqliteStore({ path: join(dir, 'adopt.db') });
  cleanups.push(() => store.close());
  const rpc = newProvider();
  await store.storeBatch(readings(4));

  // a: records anchor 0 and sends it where b cannot see it.
  const pa = newProvider();
  pa.hold = true;
  const a = anchorer(store, pa);
  await a.tick();
  await a.stop();
  assert.is(pa.held.length, 1);
  const staleTx = Transaction.from(pa.held[0]!).hash!.toLowerCase();
  assert.is((await store.anchorByIndex(0))!.transaction, staleTx, 'a recorded anchor 0 (write-ahead)');

  // b takes over with automine off: a's transaction is unknown to its node → abandoned; b records
  // its own anchor 0 (same account, same nonce; its window also holds a reading that arrived
  // since, so it is another transaction) and broadcasts it; it waits in the mempool.
  await rpc.send('evm_setAutomine', [false]);
  await store.storeBatch(readings(1));
  const metrics = new MetricsRegistry();
  const b = anchorer(store, rpc, metrics, 5);
  await b.tick(); // a's anchor 0 unknown: abandoned
  assert.is(await store.anchorByIndex(0), null);
  await b.tick(); // the readings again, in b's anchor 0
  const bRec = (await store.anchorByIndex(0))!;
  assert.ok(bRec && bRec.transaction !== staleTx, 'b recorded its own anchor 0');

  // a's transaction lands first (b's is dropped from the mempool: the same nonce).
  await rpc.send('anvil_dropAllTransactions', []);
  await rpc.broadcastTransaction(pa.held[0]!);
  await rpc.send('evm_mine', []);
  const ra = readingAnchorAt(chain.deployment.readingAnchor, rpc);
  assert.is(Number(await ra.getFunction('anchorCount')()), 1, "a's anchor is on chain");
  await rpc.send('evm_setAutomine', [true]);

  // b: its anchor 0 cannot land → abandoned; a's is adopted, confirmed; anchoring goes on.
  await b.tick();
  await b.tick();
  const adopted = (await store.anchorByIndex(0))!;
  assert.is(adopted.transaction, staleTx, "the store now names a's transaction for anchor 0");
  assert.is(metrics.counter('bal_anchor_unrecorded_total', '', ['outcome']).get({ outcome: 'adopted' }), 1);
  await store.storeBatch(readings(3));
  for (let i = 0; i < 6; i++) await b.tick();
  assert.is((await store.counts()).pending, 0);
  assert.is((await store.unconfirmedAnchors()).length, 0);
  const c = await contiguous(store);
  assert.equal(c, { anchors: 2, readings: 8 }, 'anchors 0 (adopted) and 1, every reading once');
  assert.is(Number(await ra.getFunction('anchorCount')()), 2);
});

test('an unrecorded anchor whose root is not the pending window is left unrecorded; anchoring goes on after it', async () => {
  const store = openSqliteStore({ path: join(dir, 'foreign.db') });
  cleanups.push(() => store.close());
  const rpc = newProvider();
  await rpc.send('evm_setAutomine', [true]);
  const signer = new Wallet(ANVIL_PRIVATE_KEYS[0], rpc);
  const ra = readingAnchorAt(chain.deployment.readingAnchor, signer);
  // This store is new on a chain that already holds anchors of the first test's store: the first
  // of them is not its readings' window → left unrecorded (once), and its own readings go after.
  const metrics = new MetricsRegistry();
  const b = anchorer(store, rpc, metrics);
  const before = Number(await ra.getFunction('anchorCount')());
  await store.storeBatch(readings(2));
  await b.tick();
  for (let i = 0; i < 3; i++) await b.tick();
  assert.is(metrics.counter('bal_anchor_unrecorded_total', '', ['outcome']).get({ outcome: 'reanchored' }), 1, 'the older anchors, not this store\'s: left unrecorded once');
  const head = Number(await ra.getFunction('anchorCount')());
  assert.is(head, before + 1);
  assert.is((await store.anchorByIndex(before))!.status, 'confirmed');

  // Someone (a stale leader with other readings) lands a foreign anchor at the head.
  const index = head;
  const prev = ((await ra.getFunction('lastAnchorHash')()) as string).toLowerCase();
  const tx = await ra.getFunction('anchorNext')(index, prev, `0x${'5e'.repeat(32)}`, 3, 10, 20);
  await tx.wait();
  await store.storeBatch(readings(2));
  for (let i = 0; i < 4; i++) await b.tick();
  assert.is(metrics.counter('bal_anchor_unrecorded_total', '', ['outcome']).get({ outcome: 'reanchored' }), 2);
  assert.is(await store.anchorByIndex(index), null, 'the foreign anchor is not recorded');
  const next = (await store.anchorByIndex(index + 1))!;
  assert.ok(next && next.status === 'confirmed', 'the pending readings were anchored after it');
  assert.is(next.prevHash, ((await ra.getFunction('getAnchor')(index)).anchorHash as string).toLowerCase(), 'chained onto the foreign anchor');
  assert.is((await store.counts()).pending, 0);
});

test.run();
