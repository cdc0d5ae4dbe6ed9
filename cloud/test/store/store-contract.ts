/**
 * The one contract suite every BalStore implementation passes (STYLE habit 10). Run by
 * `sqlite.test.ts` and `postgres.test.ts` with a factory that can reopen the same backing store.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { isLightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import type { BalStore, StoredReadingInput } from '../../src/store/types.js';
import type { Hex } from '@lightnode/shared/hex';
import type { SignedReading } from '@lightnode/shared/reading';

export interface StoreFactory {
  /** Open the store (a second call opens the same data). */
  open(): Promise<BalStore>;
  /** Remove the backing data (after the suite). */
  destroy(): Promise<void>;
}

const DEV_A = '0x00000000000000000000000000000000000000aa' as Hex;
const DEV_B = '0x00000000000000000000000000000000000000bb' as Hex;
const DEV_C = '0x00000000000000000000000000000000000000cc' as Hex;

export function mkReading(pod: string, seq: number, opts: { ts?: number; value?: number } = {}): SignedReading {
  return {
    pod, meter: 'm1', seq, timestamp: opts.ts ?? 1_700_000_000_000 + seq * 1000, source: 'modbus',
    values: [{ quantity: '1-0:1.8.0', value: opts.value ?? seq * 10, scale: 0, unit: 'Wh' }],
    signature: `0x${'11'.repeat(64)}1b`,
  };
}

function digestOf(r: SignedReading): Hex {
  return `0x${createHash('sha256').update(JSON.stringify(r)).digest('hex')}`;
}

export function mkInput(pod: string, device: Hex, seq: number, opts: { ts?: number; value?: number; receivedAtMs?: number } = {}): StoredReadingInput {
  const reading = mkReading(pod, seq, opts);
  return { reading, digest: digestOf(reading), signer: device, receivedAtMs: opts.receivedAtMs ?? 1_700_000_100_000 + seq };
}

const tx = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const root = (n: number): Hex => `0x${'ab'.repeat(31)}${n.toString(16).padStart(2, '0')}`;
const ZERO = `0x${'00'.repeat(32)}` as Hex;

async function rejects(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  try { await p; } catch (err) {
    assert.ok(isLightNodeError(err, code), `expected ${code}, got ${String((err as Error).message)}`);
    return;
  }
  assert.unreachable(`expected rejection ${code}`);
}

/** Register the contract suite for one implementation. */
export function storeContract(name: string, factory: StoreFactory): void {
  const t = suite(`BalStore contract: ${name}`);
  let store: BalStore;
  t.before(async () => { store = await factory.open(); });
  t.after(async () => { await store?.close(); await factory.destroy(); });

  t('storeBatch stores new readings with increasing ids and round-trips them exactly', async () => {
    const batch = [1, 2, 3].map((s) => mkInput('IT001E00000001', DEV_A, s));
    const res = await store.storeBatch(batch);
    assert.equal(res.stored, [1, 2, 3]);
    assert.equal(res.duplicate, []);
    assert.equal(res.equivocation, []);
    assert.equal(res.outcomes, ['stored', 'stored', 'stored']);
    assert.ok(res.ids[0]! < res.ids[1]! && res.ids[1]! < res.ids[2]!);
    const r = await store.readingById(res.ids[1]!);
    assert.ok(r);
    assert.equal(r!.reading, batch[1]!.reading);
    assert.is(r!.digest, batch[1]!.digest);
    assert.is(r!.device, DEV_A);
    assert.is(r!.pod, 'IT001E00000001');
    assert.is(r!.seq, 2);
    assert.is(r!.timestampMs, batch[1]!.reading.timestamp);
    assert.is(r!.status, 'pending');
    assert.is(r!.anchorIndex, null);
    const bySeq = await store.readingByDeviceSeq(DEV_A, 3);
    assert.is(bySeq!.id, res.ids[2]);
    assert.is(await store.readingById(999_999), null);
    assert.is(await store.lastSeqOfDevice(DEV_A), 3);
    assert.is(await store.lastSeqOfDevice(DEV_C), null);
  });

  t('a resent reading is a duplicate, a different one under the same (device, seq) an equivocation', async () => {
    const before = await store.counts();
    const res = await store.storeBatch([
      mkInput('IT001E00000001', DEV_A, 2),
      mkInput('IT001E00000001', DEV_A, 3, { value: 999 }),
      mkInput('IT001E00000001', DEV_A, 4),
    ]);
    assert.equal(res.outcomes, ['duplicate', 'equivocation', 'stored']);
    assert.equal(res.duplicate, [2]);
    assert.equal(res.equivocation, [3]);
    assert.equal(res.stored, [4]);
    const kept = await store.readingByDeviceSeq(DEV_A, 3);
    assert.is(kept!.reading.values[0]!.value, 30, 'the first stored reading is kept');
    assert.is(res.ids[1], kept!.id);
    const after = await store.counts();
    assert.is(after.readings, before.readings + 1);
    assert.is(after.equivocations, before.equivocations + 1);
  });

  t('repeats inside one batch are resolved against the first occurrence', async () => {
    const a = mkInput('IT001E00000002', DEV_B, 1);
    const res = await store.storeBatch([a, a, mkInput('IT001E00000002', DEV_B, 1, { value: 7 }), mkInput('IT001E00000002', DEV_B, 2)]);
    assert.equal(res.outcomes, ['stored', 'duplicate', 'equivocation', 'stored']);
    assert.is(res.ids[0], res.ids[1]);
    assert.is(res.ids[0], res.ids[2]);
    assert.equal(await store.storeBatch([]), { stored: [], duplicate: [], equivocation: [], outcomes: [], ids: [] });
  });

  t('a batch that fails part-way writes nothing', async () => {
    const before = await store.counts();
    const bad = mkInput('IT001E00000003', DEV_C, 2);
    (bad.reading as unknown as { pod: null }).pod = null; // violates NOT NULL in the database
    let threw = false;
    try { await store.storeBatch([mkInput('IT001E00000003', DEV_C, 1), bad]); } catch { threw = true; }
    assert.ok(threw, 'the batch must fail');
    assert.equal(await store.counts(), before);
    assert.is(await store.readingByDeviceSeq(DEV_C, 1), null);
    assert.is(await store.nodeByPod('IT001E00000003'), null);
  });

  t('listReadings filters by pod, pods, time and status and pages by id', async () => {
    const pod = 'IT001E00000004';
    const inputs = Array.from({ length: 7 }, (_, i) => mkInput(pod, DEV_C, 100 + i, { ts: 2_000_000 + i * 10 }));
    await store.storeBatch(inputs);
    const seen: number[] = [];
    let afterId: number | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await store.listReadings({ pod, limit: 3, afterId });
      seen.push(...page.items.map((r) => r.seq));
      if (page.nextAfterId === null) break;
      afterId = page.nextAfterId;
    }
    assert.equal(seen, [100, 101, 102, 103, 104, 105, 106]);
    const ranged = await store.listReadings({ pod, fromMs: 2_000_020, toMs: 2_000_050, limit: 100 });
    assert.equal(ranged.items.map((r) => r.seq), [102, 103, 104]);
    assert.is(ranged.nextAfterId, null);
    assert.equal((await store.listReadings({ pods: [], limit: 10 })).items, []);
    const two = await store.listReadings({ pods: [pod, 'IT001E00000002'], limit: 100 });
    assert.equal(new Set(two.items.map((r) => r.pod)), new Set([pod, 'IT001E00000002']));
    const pending = await store.listReadings({ status: 'pending', pod, limit: 100 });
    assert.is(pending.items.length, 7);
    assert.is((await store.listReadings({ status: 'confirmed', pod, limit: 100 })).items.length, 0);
    await rejects(store.listReadings({ limit: 0 }), 'BAL_STORE_INVALID');
    await rejects(store.listReadings({ limit: 1001 }), 'BAL_STORE_INVALID');
    await rejects(store.listReadings({ limit: 1.5 }), 'BAL_STORE_INVALID');
    await rejects(store.listReadings({ limit: 1, afterId: -1 }), 'BAL_STORE_INVALID');
  });

  t('anchoring: pending → anchored (leaf order) → confirmed; conflicts write nothing; abandon releases', async () => {
    const pending = await store.pendingForAnchoring(4);
    assert.is(pending.length, 4);
    assert.ok(pending.every((r, i) => i === 0 || r.id > pending[i - 1]!.id), 'ascending ids');
    // leaf order deliberately differs from id order
    const ids = [pending[2]!.id, pending[0]!.id, pending[3]!.id, pending[1]!.id];
    assert.is(await store.latestAnchor(), null);
    const w = { index: 0, root: root(0), leafCount: 4, fromMs: 1, toMs: 2, prevHash: ZERO };
    const rec = await store.recordAnchor(w, ids, { transaction: tx(1), blockNumber: null });
    assert.is(rec.status, 'sent');
    assert.is(rec.transaction, tx(1));
    assert.is(rec.leafCount, 4);
    const of = await store.readingsOfAnchor(0);
    assert.equal(of.map((r) => r.id), ids);
    assert.equal(of.map((r) => r.leafIndex), [0, 1, 2, 3]);
    assert.ok(of.every((r) => r.status === 'anchored' && r.anchorIndex === 0));
    assert.equal((await store.readingsOfAnchor(0, { fromLeaf: 1, limit: 2 })).map((r) => r.id), ids.slice(1, 3));
    assert.equal((await store.readingsOfAnchor(0, { fromLeaf: 3 })).map((r) => r.id), ids.slice(3));
    const podOf2 = of[2]!.pod;
    assert.equal((await store.readingsOfAnchor(0, { pods: [podOf2] })).map((r) => r.pod), of.filter((r) => r.pod === podOf2).map((r) => r.pod));
    assert.equal(await store.readingsOfAnchor(0, { pods: [] }), []);
    assert.equal(await store.readingsOfAnchor(9), []);
    assert.equal(await store.anchorLeaves(0), of.map((r) => r.digest));
    const pm = await store.proofMaterial(ids[2]!);
    assert.ok(pm);
    assert.is(pm!.leafIndex, 2);
    assert.equal(pm!.leaves, of.map((r) => r.digest));
    assert.is(pm!.anchor.root, root(0));
    assert.is(await store.proofMaterial(999_999), null);
    const stillPending = (await store.pendingForAnchoring(1))[0]!;
    assert.is(await store.proofMaterial(stillPending.id), null);

    // re-anchoring an anchored reading: conflict, and the new anchor is not written
    await rejects(store.recordAnchor({ ...w, index: 1, leafCount: 2 }, [stillPending.id, ids[0]!], { transaction: tx(2), blockNumber: null }), 'BAL_STORE_CONFLICT');
    assert.is(await store.anchorByIndex(1), null);
    assert.is((await store.readingById(stillPending.id))!.status, 'pending');
    await rejects(store.recordAnchor({ ...w, leafCount: 1 }, [stillPending.id], { transaction: tx(3), blockNumber: null }), 'BAL_STORE_CONFLICT');
    await rejects(store.recordAnchor({ ...w, index: 5, leafCount: 1 }, [stillPending.id], { transaction: tx(1), blockNumber: null }), 'BAL_STORE_CONFLICT');
    await rejects(store.recordAnchor({ ...w, index: 5, leafCount: 2 }, [stillPending.id], { transaction: tx(9), blockNumber: null }), 'BAL_STORE_INVALID');
    await rejects(store.recordAnchor({ ...w, index: 5, leafCount: 0 }, [], { transaction: tx(9), blockNumber: null }), 'BAL_STORE_INVALID');

    assert.equal((await store.unconfirmedAnchors()).map((a) => a.index), [0]);
    const conf = await store.confirmAnchor(tx(1), { blockNumber: 42, anchorHash: root(99) });
    assert.is(conf!.status, 'confirmed');
    assert.is(conf!.blockNumber, 42);
    assert.is(conf!.anchorHash, root(99));
    assert.ok(conf!.confirmedAtMs !== null);
    assert.equal(await store.confirmAnchor(tx(1), { blockNumber: 43 }), conf, 'idempotent');
    assert.is(await store.confirmAnchor(tx(77), { blockNumber: 1 }), null);
    assert.ok((await store.readingsOfAnchor(0)).every((r) => r.status === 'confirmed'));
    assert.equal((await store.unconfirmedAnchors()), []);
    assert.is((await store.anchorByTransaction(tx(1)))!.index, 0);
    assert.is(await store.anchorByTransaction(tx(55)), null);
    assert.is(await store.abandonAnchor(tx(1)), false, 'a confirmed anchor stays');

    // a second anchor whose transaction is dropped: readings go back to pending, in order
    const next = await store.pendingForAnchoring(2);
    await store.recordAnchor({ index: 1, root: root(1), leafCount: 2, fromMs: 3, toMs: 4, prevHash: root(99) }, next.map((r) => r.id), { transaction: tx(2), blockNumber: 7 });
    assert.is((await store.latestAnchor())!.index, 1);
    assert.is((await store.pendingForAnchoring(1))[0]!.id !== next[0]!.id, true);
    assert.is(await store.abandonAnchor(tx(2)), true);
    assert.is(await store.anchorByIndex(1), null);
    assert.equal((await store.pendingForAnchoring(2)).map((r) => r.id), next.map((r) => r.id));
    assert.is((await store.readingById(next[0]!.id))!.anchorIndex, null);
    const c = await store.counts();
    assert.is(c.anchors, 1);
  });

  t('node table: status upsert (older status ignored), counters, gaps and last stored seq', async () => {
    const pod = 'IT001E00000005';
    assert.is(await store.nodeByPod(pod), null);
    await store.storeBatch([1, 2, 5].map((s) => mkInput(pod, DEV_B.replace('bb', 'b5') as Hex, s, { receivedAtMs: 5000 + s })));
    let n = await store.nodeByPod(pod);
    assert.ok(n);
    assert.is(n!.readings, 3);
    assert.is(n!.gaps, 2);
    assert.is(n!.lastStoredSeq, 5);
    assert.is(n!.lastSeenMs, 5005);
    assert.is(n!.state, 'unknown');
    await store.storeBatch([mkInput(pod, DEV_B.replace('bb', 'b5') as Hex, 3, { receivedAtMs: 6000 })]);
    n = await store.nodeByPod(pod);
    assert.is(n!.gaps, 1, 'a late reading fills a gap');
    await store.recordNodeStatus({ pod, device: DEV_B.replace('bb', 'b5') as Hex, state: 'online', ts: 7000, lastSeq: 9, spoolDepth: 4, quarantined: 1, agentVersion: '0.1.0' }, 7001);
    await store.recordNodeStatus({ pod, device: DEV_B.replace('bb', 'b5') as Hex, state: 'offline', ts: 6500, lastSeq: 8, spoolDepth: 9, quarantined: 0, agentVersion: '0.0.9' }, 7002);
    await store.addNodeCounters(pod, { rejected: 3 });
    await store.addNodeCounters(pod, { rejected: 1 });
    const dup = await store.storeBatch([mkInput(pod, DEV_B.replace('bb', 'b5') as Hex, 3, { receivedAtMs: 6000 })]);
    assert.equal(dup.outcomes, ['duplicate']);
    await store.addNodeCounters(pod, { duplicates: 1, equivocations: 2 });
    n = await store.nodeByPod(pod);
    assert.is(n!.state, 'online');
    assert.is(n!.reportedLastSeq, 9);
    assert.is(n!.spoolDepth, 4);
    assert.is(n!.quarantined, 1);
    assert.is(n!.agentVersion, '0.1.0');
    assert.is(n!.lastStatusMs, 7000);
    assert.is(n!.rejected, 4);
    assert.is(n!.duplicates, 1, 'counted once: by addNodeCounters, not by storeBatch');
    assert.is(n!.equivocations, 2);
    assert.is(n!.device, DEV_B.replace('bb', 'b5'));
    await store.addNodeCounters('IT001E00000099', { rejected: 2 });
    const unknown = await store.nodeByPod('IT001E00000099');
    assert.is(unknown!.rejected, 2);
    assert.equal(unknown!.rejectedByCode, {}, 'a bare count has no reason');
    assert.is(unknown!.readings, 0);
    assert.is(unknown!.lastStoredSeq, null);
  });

  t('rejections by ack code per node: added up, listed in code order, summed fleet-wide; bad deltas refused', async () => {
    const a = 'IT001E00000006'; const b = 'IT001E00000007';
    const before = await store.rejectionsByCode();
    await store.addNodeCounters(a, { rejectedByCode: { BAL_SIGNATURE_INVALID: 2 } });
    await store.addNodeCounters(a, { rejectedByCode: { BAL_TIMESTAMP_FUTURE: 1, BAL_SIGNATURE_INVALID: 1, BAL_POD_MISMATCH: 0 }, duplicates: 1 });
    await store.addNodeCounters(b, { rejected: 1, rejectedByCode: { BAL_SIGNATURE_INVALID: 1 } });
    const na = (await store.nodeByPod(a))!;
    assert.is(na.rejected, 4, 'rejected defaults to the sum of rejectedByCode');
    assert.equal(na.rejectedByCode, { BAL_SIGNATURE_INVALID: 3, BAL_TIMESTAMP_FUTURE: 1 }, 'zero counts are not rows');
    assert.equal(Object.keys(na.rejectedByCode), ['BAL_SIGNATURE_INVALID', 'BAL_TIMESTAMP_FUTURE']);
    assert.is(na.duplicates, 1);
    const listed = await store.listNodes({ pods: [a, b] });
    assert.equal(listed.map((n) => [n.pod, n.rejectedByCode]), [[a, na.rejectedByCode], [b, { BAL_SIGNATURE_INVALID: 1 }]]);
    assert.equal((await store.listNodes({ afterPod: a, limit: 1 }))[0]!.rejectedByCode, { BAL_SIGNATURE_INVALID: 1 }, 'paged lists carry them too');
    const after = await store.rejectionsByCode();
    assert.is((after.BAL_SIGNATURE_INVALID ?? 0) - (before.BAL_SIGNATURE_INVALID ?? 0), 4);
    assert.is((after.BAL_TIMESTAMP_FUTURE ?? 0) - (before.BAL_TIMESTAMP_FUTURE ?? 0), 1);
    assert.is(after.BAL_POD_MISMATCH, before.BAL_POD_MISMATCH);
    for (const bad of [{ rejectedByCode: { 'bad code': 1 } }, { rejectedByCode: { BAL_X_Y: -1 } }, { rejectedByCode: { BAL_X_Y: 1.5 } }, { rejected: -1 }]) {
      await rejects(store.addNodeCounters(a, bad as never), 'BAL_STORE_INVALID');
    }
    assert.equal((await store.nodeByPod(a))!.rejectedByCode, na.rejectedByCode, 'a refused delta writes nothing');
  });

  t('listNodes pages by pod and filters by pods', async () => {
    const all = await store.listNodes();
    const pods = all.map((n) => n.pod);
    assert.equal(pods, [...pods].sort());
    assert.ok(pods.includes('IT001E00000001') && pods.includes('IT001E00000005'));
    const firstTwo = await store.listNodes({ limit: 2 });
    const rest = await store.listNodes({ afterPod: firstTwo[1]!.pod });
    assert.equal([...firstTwo, ...rest].map((n) => n.pod), pods);
    assert.equal((await store.listNodes({ pods: ['IT001E00000002'] })).map((n) => n.pod), ['IT001E00000002']);
    assert.equal(await store.listNodes({ pods: [] }), []);
    assert.equal((await store.listNodes({ search: 'e00000002' })).map((n) => n.pod), ['IT001E00000002'], 'search: part of a PoD, any case');
    const dev = all.find((n) => n.device !== null)!;
    assert.ok((await store.listNodes({ search: dev.device!.slice(2, 12).toUpperCase() })).some((n) => n.pod === dev.pod), 'search: part of a device');
    assert.equal(await store.listNodes({ search: 'nomatch0' }), []);
    await rejects(store.listNodes({ search: '%' }), 'BAL_STORE_INVALID');
    const n1 = all.find((n) => n.pod === 'IT001E00000001')!;
    assert.is(n1.equivocations, 0, 'storeBatch leaves the counters to the ingest');
    assert.is(n1.duplicates, 0);
    assert.is(n1.readings, 4);
  });

  t('live feed: liveFeedStart names the highest reading id; nodeChanges lists status and counter changes after a time', async () => {
    const start = await store.liveFeedStart();
    const page = await store.listReadings({ limit: 1000 });
    let max = 0;
    for (let p: typeof page | null = page; p; p = p.nextAfterId === null ? null : await store.listReadings({ afterId: p.nextAfterId, limit: 1000 })) for (const r of p.items) max = Math.max(max, r.id);
    assert.is(start.maxReadingId, max);
    const dev = `0x${'c7'.repeat(20)}` as Hex;
    await store.recordNodeStatus({ pod: 'IT001E00000777', device: dev, state: 'online', ts: 9000, lastSeq: 1, spoolDepth: 0, quarantined: 0, agentVersion: '0.1.0' }, 9001);
    const c1 = await store.nodeChanges(start.lastNodeChangeMs, 100);
    assert.ok(c1.some((c) => c.pod === 'IT001E00000777'), 'a status change is listed');
    const t1 = c1.find((c) => c.pod === 'IT001E00000777')!.changedMs;
    assert.ok(t1 >= start.lastNodeChangeMs);
    await new Promise((r) => setTimeout(r, 5));
    await store.addNodeCounters('IT001E00000778', { rejected: 1 });
    const c2 = await store.nodeChanges(t1, 100);
    assert.equal(c2.map((c) => c.pod), ['IT001E00000778'], 'after t1: only the counter change');
    assert.ok(c2[0]!.changedMs > t1);
    const all = await store.nodeChanges(0, 100);
    assert.equal(all.map((c) => c.changedMs), [...all.map((c) => c.changedMs)].sort((a, b) => a - b), 'ascending');
    assert.is((await store.nodeChanges(0, 1)).length, 1, 'limited');
    assert.ok((await store.liveFeedStart()).lastNodeChangeMs >= c2[0]!.changedMs);
    await rejects(store.nodeChanges(0, 0), 'BAL_STORE_INVALID');
  });

  t('withLock: holders of one name run one after the other; other names do not wait; a failure releases it', async () => {
    const log: string[] = [];
    const job = (tag: string, name = 'job') => store.withLock(name, async () => { log.push(`${tag}+`); await new Promise((r) => setTimeout(r, 20)); log.push(`${tag}-`); return tag; });
    assert.equal(await Promise.all([job('a'), job('b'), job('c')]), ['a', 'b', 'c']);
    assert.equal(log, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    log.length = 0;
    // x holds 'one' until y got into 'two' (or 5 s pass): if names blocked each other, y would
    // only get in after x left (x+ x- y+). Not timed, so a loaded machine cannot fail it.
    let yEntered!: () => void;
    const yIn = new Promise<void>((r) => { yEntered = r; });
    await Promise.all([
      store.withLock('one', async () => { log.push('x+'); await Promise.race([yIn, new Promise((r) => setTimeout(r, 5000))]); log.push('x-'); }),
      store.withLock('two', async () => { log.push('y+'); yEntered(); log.push('y-'); }),
    ]);
    assert.equal(log.slice(0, 2).sort(), ['x+', 'y+'], 'two names at once');
    let thrown: unknown = null;
    try { await store.withLock('job', async () => { throw new Error('boom'); }); } catch (err) { thrown = err; }
    assert.match(String(thrown), /boom/);
    assert.is(await job('d'), 'd', 'released after the failure');
  });

  t('storeCimMessage: message and readings in one transaction; a resend is duplicates; an equivocation writes nothing', async () => {
    const hash = `0x${'c1'.repeat(32)}` as Hex;
    const cim = (n: number, value?: number): StoredReadingInput => {
      const x = mkInput('IT001E00000071', DEV_C, 900_000 + n, value === undefined ? {} : { value });
      const reading = { ...x.reading, source: `cim:${hash.slice(2)}` };
      return { ...x, reading, digest: digestOf(reading) };
    };
    const msg = { hash, serverId: 'dso-gr-01', signer: DEV_C, signature: `0x${'22'.repeat(64)}1c` as Hex, payload: new TextEncoder().encode('<m>ü</m>'), receivedAtMs: 1_700_000_200_000 };
    const before = (await store.counts()).readings;
    const res = await store.storeCimMessage(msg, [cim(1), cim(2)]);
    assert.equal(res.outcomes, ['stored', 'stored']);
    assert.equal(await store.cimMessage(hash), msg, 'the exact payload bytes come back');
    assert.is(await store.cimMessage(`0x${'c2'.repeat(32)}`), null);
    const again = await store.storeCimMessage(msg, [cim(1), cim(2)]);
    assert.equal(again.outcomes, ['duplicate', 'duplicate']);
    assert.equal(again.ids, res.ids);
    // Re-sent days later (PostgreSQL: another day's partition): still the same readings.
    const later = await store.storeCimMessage(msg, [cim(1), cim(2)].map((x) => ({ ...x, receivedAtMs: x.receivedAtMs + 2 * 86_400_000 })));
    assert.equal(later.outcomes, ['duplicate', 'duplicate']);
    assert.equal(later.ids, res.ids);
    // Reading 3 is new but reading 2 differs from the stored one: nothing of the message is written.
    const other = { ...msg, hash: `0x${'c3'.repeat(32)}` as Hex };
    const evidence = (await store.counts()).equivocations;
    const refused = await store.storeCimMessage(other, [cim(3), cim(2, 123)]);
    assert.equal(refused.outcomes, ['stored', 'equivocation'], 'the outcomes say what would have happened');
    assert.is(await store.cimMessage(other.hash), null, 'message rolled back');
    assert.is(await store.readingByDeviceSeq(DEV_C, 900_003), null, 'reading rolled back');
    assert.is((await store.counts()).readings, before + 2);
    assert.is((await store.counts()).equivocations, evidence, 'no evidence row either');
  });

  t('data survives close and reopen', async () => {
    const before = await store.counts();
    const r = await store.readingByDeviceSeq(DEV_A, 4);
    await store.close();
    store = await factory.open();
    assert.equal(await store.counts(), before);
    assert.equal(await store.readingByDeviceSeq(DEV_A, 4), r);
    const res = await store.storeBatch([mkInput('IT001E00000001', DEV_A, 5)]);
    assert.ok(res.ids[0]! > r!.id, 'ids keep increasing after reopen');
    await store.ping();
  });

  t('retention: a day of archived, confirmed readings is removed; nothing else; dedup, leaves and restore survive it', async () => {
    const DAY = 86_400_000;
    const D1 = Date.UTC(2024, 0, 10), D2 = D1 + DAY, D3 = D2 + DAY;
    const DEV_R = '0x00000000000000000000000000000000000000dd' as Hex;
    const pod = 'IT001E00000077';
    // seqs 1..6 arrive on D1, 7..10 on D2, 11..12 on D3
    const inputs = Array.from({ length: 12 }, (_, i) => {
      const seq = i + 1;
      const day = seq <= 6 ? D1 : seq <= 10 ? D2 : D3;
      return mkInput(pod, DEV_R, seq, { receivedAtMs: day + 3_600_000 + seq });
    });
    const res = await store.storeBatch(inputs);
    assert.equal(res.outcomes, inputs.map(() => 'stored'));
    const ids = res.ids;
    // anchor 100: seqs 1..4 (D1 only); anchor 101: seqs 5..8 (split D1/D2), both confirmed; anchor 102: 9..10 sent, not confirmed
    await store.recordAnchor({ index: 100, root: root(100), leafCount: 4, fromMs: 1, toMs: 2, prevHash: ZERO }, ids.slice(0, 4), { transaction: tx(1100), blockNumber: 5 });
    await store.recordAnchor({ index: 101, root: root(101), leafCount: 4, fromMs: 1, toMs: 2, prevHash: ZERO }, ids.slice(4, 8), { transaction: tx(1101), blockNumber: 6 });
    await store.recordAnchor({ index: 102, root: root(102), leafCount: 2, fromMs: 1, toMs: 2, prevHash: ZERO }, ids.slice(8, 10), { transaction: tx(1102), blockNumber: 7 });
    await store.confirmAnchor(tx(1100), { blockNumber: 5 });
    await store.confirmAnchor(tx(1101), { blockNumber: 6 });
    const leaves101 = await store.anchorLeaves(101);

    const days = (await store.retentionDays(D3 + DAY)).filter((d) => d.dayMs >= D1);
    assert.equal(days, [
      { dayMs: D1, readings: 6, unconfirmed: 0 },
      { dayMs: D2, readings: 4, unconfirmed: 2 },
      { dayMs: D3, readings: 2, unconfirmed: 2 },
    ]);
    assert.equal((await store.retentionDays(D2)).filter((d) => d.dayMs >= D1).map((d) => d.dayMs), [D1], 'beforeMs bounds the days');
    const ofD1 = await store.readingsOfDay(D1, 0, 4);
    assert.equal(ofD1.map((r) => r.seq), [1, 2, 3, 4]);
    assert.equal((await store.readingsOfDay(D1, ofD1[3]!.id, 100)).map((r) => r.seq), [5, 6]);

    const rows = await Promise.all(ids.map((id) => store.readingById(id)));
    const rec = (i: number) => ({ id: ids[i]!, digest: inputs[i]!.digest, anchorIndex: rows[i]!.anchorIndex! });
    // The plan of D1, but one line with a digest that is not the stored one: that row must stay.
    const plan = {
      dayMs: D1, sha256: 'ab'.repeat(32),
      records: [0, 1, 2, 3, 4].map(rec).concat([{ ...rec(5), digest: `0x${'99'.repeat(32)}` as Hex }]),
      ranges: [{ device: DEV_R, minSeq: 1, maxSeq: 6 }],
    };
    const first = await store.pruneDay(plan, { batchSize: 2 });
    assert.equal(first, { deleted: 5, remaining: 1 });
    assert.is((await store.archivedDays()).find((a) => a.dayMs === D1)!.state, 'pruning', 'not marked pruned while a row is left');
    assert.ok(await store.readingById(ids[5]!), 'a row the archive does not hold (other digest) stays');
    const fixed = await store.pruneDay({ ...plan, records: [0, 1, 2, 3, 4, 5].map(rec) }, { batchSize: 2 });
    assert.equal(fixed, { deleted: 1, remaining: 0 });
    const a1 = (await store.archivedDays()).find((a) => a.dayMs === D1)!;
    assert.equal({ state: a1.state, readings: a1.readings, minId: a1.minId, maxId: a1.maxId }, { state: 'pruned', readings: 6, minId: ids[0], maxId: ids[5] });
    assert.is(await store.readingById(ids[0]!), null);
    assert.is((await store.archivedDayOfReading(ids[2]!))!.dayMs, D1);
    assert.is(await store.archivedDayOfReading(ids[8]!), null, 'a reading still stored is in no archived day');

    // Anchor 101 is split (5, 6 archived; 7, 8 stored): its receipts still get the full leaves.
    assert.equal(await store.anchorLeaves(101), leaves101);
    const pm = await store.proofMaterial(ids[6]!);
    assert.equal(pm!.leaves, leaves101);

    // An unconfirmed reading is never removed, even if a plan lists it.
    const bad = await store.pruneDay({ dayMs: D2, sha256: 'cd'.repeat(32), records: [6, 7, 8, 9].map(rec), ranges: [] });
    assert.equal(bad, { deleted: 2, remaining: 2 });
    assert.ok(await store.readingById(ids[8]!));
    assert.is((await store.readingById(ids[9]!))!.status, 'anchored');
    await store.restoreReadings([rows[6]!, rows[7]!]); // put D2's confirmed ones back for the next checks

    // Archived (device, seq): a resend is a duplicate and is not stored again; a new seq is stored.
    const again = await store.storeBatch([inputs[1]!, mkInput(pod, DEV_R, 13, { receivedAtMs: D3 + 5 })]);
    assert.equal(again.outcomes, ['duplicate', 'stored']);
    assert.is(again.ids[0], 0);
    assert.is(await store.readingByDeviceSeq(DEV_R, 2), null);

    // Restore: the same ids, statuses and leaf positions; a second restore changes nothing.
    const back = await store.restoreReadings(rows.slice(0, 6) as NonNullable<typeof rows[number]>[]);
    assert.equal(back, { restored: 6, present: 0 });
    for (let i = 0; i < 6; i++) assert.equal(await store.readingById(ids[i]!), rows[i]);
    assert.equal(await store.restoreReadings([rows[0]!]), { restored: 0, present: 1 });
    assert.equal(await store.anchorLeaves(100), (await store.readingsOfAnchor(100)).map((r) => r.digest));
    const dupAfterRestore = await store.storeBatch([inputs[2]!, { ...mkInput(pod, DEV_R, 4, { value: 1 }), signer: DEV_R }]);
    assert.equal(dupAfterRestore.outcomes, ['duplicate', 'equivocation'], 'restored readings are compared by digest again');
    assert.is(dupAfterRestore.ids[0], ids[2]);

    await rejects(store.pruneDay({ ...plan, dayMs: D1 + 1 }), 'BAL_RETENTION_INVALID');
    await rejects(store.pruneDay({ ...plan, records: [] }), 'BAL_RETENTION_INVALID');
    await rejects(store.readingsOfDay(D1 + 5, 0, 10), 'BAL_RETENTION_INVALID');
  });

  t('anchor lease: one holder at a time, epoch up on takeover only; a stale epoch\'s anchoring writes are refused and write nothing', async () => {
    const L = 'lease-test';
    assert.is(await store.readLease(L), null);
    const a1 = await store.acquireLease(L, 'a', 60_000);
    assert.equal({ epoch: a1?.epoch, takenOver: a1?.takenOver }, { epoch: 1, takenOver: true });
    assert.is(await store.acquireLease(L, 'b', 60_000), null, 'b is refused while a holds it');
    const a2 = await store.acquireLease(L, 'a', 60_000);
    assert.equal({ epoch: a2?.epoch, takenOver: a2?.takenOver }, { epoch: 1, takenOver: false }, 'a renewal keeps the epoch');
    assert.ok(a2!.expiresAtMs >= a1!.expiresAtMs);
    // a lets it run out (short lease): b takes over with a new epoch
    await store.acquireLease(L, 'a', 50);
    let b: Awaited<ReturnType<BalStore['acquireLease']>> = null;
    for (let i = 0; i < 400 && !b; i++) { b = await store.acquireLease(L, 'b', 60_000); if (!b) await new Promise((r) => setTimeout(r, 25)); }
    assert.ok(b, 'b takes the expired lease');
    assert.equal({ epoch: b!.epoch, takenOver: b!.takenOver }, { epoch: 2, takenOver: true });
    assert.equal(await store.readLease(L), { name: L, holder: 'b', epoch: 2, expiresAtMs: b!.expiresAtMs });
    assert.is(await store.acquireLease(L, 'a', 60_000), null, 'the old holder cannot renew');

    // Fencing: a (epoch 1) is stale; b (epoch 2) writes.
    const DEV_L = '0x00000000000000000000000000000000000000ee' as Hex;
    const ids = (await store.storeBatch([0, 1, 2].map((i) => mkInput('IT001E00000077', DEV_L, i)))).ids;
    const before = await store.counts();
    const w = { index: 900, root: root(90), leafCount: 3, fromMs: 1, toMs: 2, prevHash: ZERO };
    await rejects(store.recordAnchor(w, ids, { transaction: tx(9000), blockNumber: null }, { name: L, epoch: 1 }), 'BAL_LEASE_FENCED');
    assert.is(await store.anchorByIndex(900), null, 'nothing written');
    assert.equal(await store.counts(), before);
    await rejects(store.recordAnchor(w, ids, { transaction: tx(9000), blockNumber: null }, { name: 'no-such-lease', epoch: 1 }), 'BAL_LEASE_FENCED');
    await store.recordAnchor(w, ids, { transaction: tx(9000), blockNumber: null }, { name: L, epoch: 2 });
    await rejects(store.abandonAnchor(tx(9000), { name: L, epoch: 1 }), 'BAL_LEASE_FENCED');
    await rejects(store.confirmAnchor(tx(9000), { blockNumber: 5 }, { name: L, epoch: 1 }), 'BAL_LEASE_FENCED');
    assert.is((await store.anchorByIndex(900))!.status, 'sent', 'the stale confirm wrote nothing');
    assert.is((await store.confirmAnchor(tx(9000), { blockNumber: 5 }, { name: L, epoch: 2 }))!.status, 'confirmed');

    // release: free at once, the next holder gets a new epoch; releasing another's lease does nothing
    assert.is(await store.releaseLease(L, 'a'), false);
    assert.is(await store.releaseLease(L, 'b'), true);
    const c = await store.acquireLease(L, 'c', 60_000);
    assert.is(c?.epoch, 3);
    await rejects(store.acquireLease(L, 'c', 0), 'BAL_STORE_INVALID');
    await rejects(store.acquireLease('bad name!', 'c', 1000), 'BAL_STORE_INVALID');
  });

  t.run();
}
