// Exactly one anchorer: two anchor candidates (each its own PostgreSQL pool, as two BAL
// instances would have) on one PostgreSQL store and a real anvil. Only the lease holder anchors;
// cut the leader off from the store (its process "dies" for the store) and the other takes over
// within 10 s on the lease clock (the database's), the cut leader having stopped before its lease
// ended; anchors stay contiguous with every reading in exactly one anchor. A stale leader's store
// write is refused by epoch, and its chain transaction, built on the old chain head, reverts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Transaction, Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { jsonRpcProvider, readingAnchorAt } from '@lightnode/contracts/connect';
import { makeDomain, readingDigest, signReading } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes, type Hex } from '@lightnode/shared/hex';
import { isLightNodeError } from '@lightnode/shared/errors';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { BalStore, LeaseGrant, StoredReadingInput } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { systemClock } from '../../src/clock.js';
import { startAnchorer, type Anchorer } from '../../src/anchor/anchorer.js';
import { startLease, type Lease } from '../../src/anchor/lease.js';
import { computeAnchorHash } from '../../src/anchor/window.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_test_lease_${randomBytes(6).toString('hex')}`;
const TIMING = { ttlMs: 5000, renewMs: 1500, renewDeadlineMs: 4000 };
const key = Wallet.createRandom();
let seq = 0;
let chain: ChainFixture;
const cleanups: (() => Promise<void>)[] = [];

test.before(async () => { chain = await startChain(); });
test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await chain?.stop();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
});

function readings(n: number): StoredReadingInput[] {
  const domain = makeDomain(chain.deployment.chainId, chain.deployment.podRegistry);
  return Array.from({ length: n }, () => {
    const r = { pod: 'IT001E00000001', meter: 'm1', seq: seq++, timestamp: 1_763_776_000_000 + seq * 1000, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }] };
    return { reading: signReading(domain, r, hexToBytes(key.privateKey)), digest: bytesToHex(readingDigest(domain, r)), signer: key.address.toLowerCase() as Hex, receivedAtMs: Date.now() };
  });
}

/** A store whose every call fails once `cut` is set (the instance lost PostgreSQL, or died). */
function cuttable(store: BalStore): { store: BalStore; cut(on: boolean): void } {
  let cut = false;
  const proxy = new Proxy(store, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function' || prop === 'close') return v;
      return (...args: unknown[]) => (cut ? Promise.reject(new Error('connection refused (cut)')) : (v as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  return { store: proxy, cut: (on) => { cut = on; } };
}

interface Candidate { name: string; store: BalStore; lease: Lease; anchorer: Anchorer; metrics: MetricsRegistry; grants: LeaseGrant[]; cut(on: boolean): void }

async function candidate(name: string): Promise<Candidate> {
  const real = await openPostgresStore({ url, schema, poolSize: 2 });
  const c = cuttable(real);
  const grants: LeaseGrant[] = [];
  const store = c.store;
  const recording: BalStore = new Proxy(store, {
    get(target, prop, recv) {
      if (prop !== 'acquireLease') return Reflect.get(target, prop, recv) as unknown;
      return async (...a: Parameters<BalStore['acquireLease']>) => { const g = await target.acquireLease(...a); if (g) grants.push(g); return g; };
    },
  });
  const metrics = new MetricsRegistry({ constLabels: { instance_id: name, roles: 'anchor' } });
  const lease = startLease({ store: recording, holder: name, clock: systemClock, log: silentLogger, metrics, timing: TIMING });
  const signer = new Wallet(ANVIL_PRIVATE_KEYS[0], jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId));
  const anchorer = startAnchorer({ store, signer, readingAnchor: chain.deployment.readingAnchor, metrics, log: silentLogger, lease,
    config: { pollIntervalMs: 100, windowMs: 300, maxLeaves: 5 } });
  cleanups.push(async () => { await anchorer.stop(); c.cut(false); await lease.stop(); await real.close(); });
  return { name, store, lease, anchorer, metrics, grants, cut: c.cut };
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const settled = async (s: BalStore): Promise<boolean> => (await s.counts()).pending === 0 && (await s.unconfirmedAnchors()).length === 0;
const sent = (m: MetricsRegistry): number => m.counter('bal_anchor_sent_total', '').get();

test('one leader anchors; the leader cut off stops before its lease ends, the other takes over within 10 s; anchors stay contiguous', async () => {
  const a = await candidate('bal-a');
  await until('a leads', () => a.lease.isLeader());
  const b = await candidate('bal-b');
  await a.store.storeBatch(readings(12));
  await until('the first readings anchored', () => settled(a.store));
  assert.ok(sent(a.metrics) >= 3, 'a anchored (12 readings, 5 per window)');
  assert.is(sent(b.metrics), 0, 'b, the follower, sent nothing');
  assert.ok(b.metrics.counter('bal_anchor_skipped_passes_total', '', ['reason']).get({ reason: 'follower' }) > 0, 'b skipped its passes as follower');
  assert.is(b.lease.status().role, 'follower');
  assert.match(a.metrics.render(), /bal_lease_leader\{instance_id="bal-a",roles="anchor",lease="anchor"\} 1/);

  // a loses PostgreSQL (as dead, for the store); more readings arrive through another instance.
  a.cut(true);
  const lastOfA = a.grants[a.grants.length - 1]!; // its last successful renewal (database clock: expiresAtMs - ttl)
  await b.store.storeBatch(readings(11));
  await until('b leads', () => b.lease.isLeader());
  assert.not.ok(a.lease.isLeader(), 'a stopped counting itself leader (renew deadline < ttl)');
  assert.is(a.lease.fence(), null);
  const takeover = b.grants.find((g) => g.takenOver)!;
  assert.is(takeover.epoch, lastOfA.epoch + 1, 'a new epoch');
  // On the lease clock (PostgreSQL's): from a's last renewal to b's takeover. a died after that
  // renewal, so this bounds the time from its death too. Not a wall-clock measure of the test.
  const gapMs = (takeover.expiresAtMs - TIMING.ttlMs) - (lastOfA.expiresAtMs - TIMING.ttlMs);
  process.stdout.write(`takeover on the lease clock: ${gapMs} ms after the cut leader's last renewal (ttl ${TIMING.ttlMs} ms)\n`);
  assert.ok(gapMs >= TIMING.ttlMs, `no takeover before a's lease ended (${gapMs} ms)`);
  assert.ok(gapMs <= 10_000, `takeover within 10 s of a's last renewal (${gapMs} ms)`);
  await until('all readings anchored by b', () => settled(b.store));
  assert.ok(sent(b.metrics) >= 3, 'b anchored the rest');
  assert.ok(a.metrics.counter('bal_lease_lost_total', '', ['lease']).get({ lease: 'anchor' }) >= 1);

  // Contiguous: store and chain agree on every index 0..n-1, each chained to the one before, and
  // every reading is in exactly one anchor.
  const provider = jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId);
  const ra = readingAnchorAt(chain.deployment.readingAnchor, provider);
  const count = Number(await ra.getFunction('anchorCount')());
  const latest = await b.store.latestAnchor();
  assert.is(latest!.index, count - 1, 'the store holds every on-chain anchor');
  const seen = new Map<number, number>();
  let prev = `0x${'0'.repeat(64)}`;
  for (let i = 0; i < count; i++) {
    const rec = (await b.store.anchorByIndex(i))!;
    assert.ok(rec, `anchor ${i} recorded`);
    assert.is(rec.status, 'confirmed');
    assert.is(rec.prevHash, prev, `anchor ${i} chains onto ${i - 1}`);
    const onChain = await ra.getFunction('getAnchor')(i);
    assert.is((onChain.root as string).toLowerCase(), rec.root);
    prev = computeAnchorHash(rec.prevHash, rec.root, rec.leafCount, rec.fromMs, rec.toMs);
    assert.is((onChain.anchorHash as string).toLowerCase(), prev);
    for (const r of await b.store.readingsOfAnchor(i)) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  }
  assert.is(seen.size, 23, 'every reading anchored');
  assert.ok([...seen.values()].every((n) => n === 1), 'no reading in two anchors');

  // a comes back: its old epoch is refused by the store, and the lease stays b's.
  a.cut(false);
  const pending = (await a.store.storeBatch(readings(1))).ids;
  let refused: unknown = null;
  try {
    await a.store.recordAnchor({ index: count, root: `0x${'ab'.repeat(32)}`, leafCount: 1, fromMs: 1, toMs: 1, prevHash: prev as Hex },
      pending, { transaction: `0x${'cd'.repeat(32)}`, blockNumber: null }, { name: 'anchor', epoch: lastOfA.epoch });
  } catch (err) { refused = err; }
  assert.ok(isLightNodeError(refused, 'BAL_LEASE_FENCED'), `stale epoch refused: ${String(refused)}`);
  assert.is(await b.store.anchorByIndex(count), null, 'nothing written');
  await a.lease.renew();
  assert.not.ok(a.lease.isLeader(), 'a cannot take the running lease back');
  await until('b anchors the last reading', () => settled(b.store));
});

test("a stale leader's chain transaction, built on the old chain head, reverts (ChainHeadMoved)", async () => {
  const provider = jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId);
  const signer = new Wallet(ANVIL_PRIVATE_KEYS[0], provider);
  const ra = readingAnchorAt(chain.deployment.readingAnchor, signer);
  // Two leaders read the same chain head and build the same next anchor on it.
  const index = Number(await ra.getFunction('anchorCount')());
  const head = ((await ra.getFunction('lastAnchorHash')()) as string).toLowerCase();
  const root = `0x${'5a'.repeat(32)}`;
  const build = async (nonce: number): Promise<string> => signer.signTransaction(await signer.populateTransaction({
    ...(await ra.getFunction('anchorNext').populateTransaction(index, head, root, 3, 10, 20)), nonce, gasLimit: 300_000n,
  }));
  const nonce = await provider.getTransactionCount(signer.address, 'pending');
  const first = await build(nonce);
  const second = await build(nonce + 1);
  await provider.broadcastTransaction(first);
  const r1 = await provider.waitForTransaction(Transaction.from(first).hash!, 1, 60_000);
  assert.is(r1?.status, 1, 'the current leader anchors');
  await provider.broadcastTransaction(second);
  const r2 = await provider.waitForTransaction(Transaction.from(second).hash!, 1, 60_000);
  assert.is(r2?.status, 0, "the stale leader's transaction reverts");
  assert.is(Number(await ra.getFunction('anchorCount')()), index + 1, 'one anchor added, not two');
  let reason = '';
  try { await ra.getFunction('anchorNext').staticCall(index, head, root, 3, 10, 20); } catch (err) { reason = String((err as { revert?: { name?: string } }).revert?.name ?? (err as Error).message); }
  assert.match(reason, /ChainHeadMoved/);
});

test.run();
