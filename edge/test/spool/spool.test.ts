import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import { Spool } from '../../src/spool/spool.js';
import { exportSpool } from '../../src/spool/export.js';
import { Metrics } from '../../src/ops/metrics.js';
import { draft } from '../helpers/drafts.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-spool-'));
let n = 0;
const file = () => join(dir, `s${n++}.db`);
const POD = 'IT001E12345678';
let signCalls = 0;
// The spool is signer-agnostic; a marker signature proves sign() ran before the insert.
const sign = (r: Reading): SignedReading => { signCalls += 1; return { ...r, signature: `0x${'ab'.repeat(64)}1b` }; };

test('seq strictly increasing from 0, persisted across reopen, never reused after acks empty the spool', () => {
  const path = file();
  let s = Spool.open({ path, pod: POD, sign });
  const a = s.appendMany([draft(), draft(), draft()]);
  assert.equal(a.map((r) => r.seq), [0, 1, 2]);
  assert.is(a[0]!.pod, POD);
  s.applyAck({ stored: [0, 1, 2], duplicate: [], rejected: [] });
  assert.is(s.status().depth, 0);
  s.close();
  s = Spool.open({ path, pod: POD, sign });
  assert.is(s.append(draft()).seq, 3, 'high-water mark survives deleting every row');
  assert.is(s.status().lastSeq, 3);
  assert.is(s.status().lastAckSeq, 2);
  s.close();
});

test('sign runs inside the transaction: a throwing signer commits nothing and burns no seq', () => {
  const path = file();
  let fail = false;
  const s = Spool.open({ path, pod: POD, sign: (r) => { if (fail) throw new Error('hsm gone'); return sign(r); } });
  s.append(draft());
  fail = true;
  assert.throws(() => s.appendMany([draft(), draft()]));
  fail = false;
  assert.is(s.status().depth, 1);
  assert.is(s.append(draft()).seq, 1);
  s.close();
});

test('pending is oldest first; ack deletes stored+duplicate, quarantines rejected, ignores unknown', () => {
  const metrics = new Metrics();
  const s = Spool.open({ path: file(), pod: POD, sign, metrics });
  s.appendMany(Array.from({ length: 10 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  assert.equal(s.pending(-1, 4).map((r) => r.seq), [0, 1, 2, 3]);
  assert.equal(s.pending(3, 100).map((r) => r.seq), [4, 5, 6, 7, 8, 9]);
  const res = s.applyAck({ stored: [0, 1], duplicate: [2], rejected: [{ seq: 3, code: 'BAL_SIGNATURE_INVALID', reason: 'bad sig' }, { seq: 99, code: 'X', reason: '' }] });
  assert.equal(res, { deleted: 3, quarantined: 1, unknown: 1 });
  const st = s.status();
  assert.is(st.depth, 6);
  assert.is(st.quarantined, 1);
  assert.is(st.oldestSeq, 4);
  const q = [...s.quarantined()];
  assert.is(q[0]!.code, 'BAL_SIGNATURE_INVALID');
  assert.is((JSON.parse(q[0]!.body) as SignedReading).seq, 3);
  assert.is(metrics.value('spool_quarantined_total', { code: 'BAL_SIGNATURE_INVALID' }), 1);
  assert.is(metrics.value('spool_acked_total', { outcome: 'duplicate' }), 1);
  assert.is(metrics.value('spool_depth'), 6);
  assert.ok(metrics.render().includes('spool_quarantined_total{code="BAL_SIGNATURE_INVALID"} 1'));
  s.close();
});

test('bytes bound: evicts oldest ordinary readings first, keeps activations, records the gap, hwm intact', () => {
  const metrics = new Metrics();
  const path = file();
  const s = Spool.open({ path, pod: POD, sign, metrics, maxBytes: 50_000 });
  const act = { ...draft('ems'), source: 'activation:sp-1' };
  s.append(act); // seq 0, an activation, oldest of all
  const rows = s.appendMany(Array.from({ length: 200 }, () => draft()));
  const bytesEach = s.status().bytes / 201;
  const recs = s.enforceBounds();
  assert.is(recs.length, 1);
  assert.is(recs[0]!.reason, 'bytes');
  assert.is(recs[0]!.firstSeq, 1, 'activation at seq 0 survives');
  assert.ok(s.status().bytes <= 45_000 && s.status().bytes > 45_000 - 2 * bytesEach, `bytes ${s.status().bytes}`);
  assert.is(s.pending(-1, 1)[0]!.seq, 0);
  assert.is(metrics.value('spool_evicted_total', { reason: 'bytes' }), recs[0]!.count);
  assert.is(s.evictions()[0]!.lastSeq, recs[0]!.lastSeq);
  assert.is(s.status().evictedReadings, recs[0]!.count);
  assert.is(s.append(draft()).seq, rows[rows.length - 1]!.seq + 1);
  assert.equal(s.enforceBounds(), [], 'under the bound: nothing more');
  s.close();
});

test('age bound evicts readings spooled longer ago than maxAgeMs', () => {
  let now = 1_000_000;
  const metrics = new Metrics();
  const s = Spool.open({ path: file(), pod: POD, sign, metrics, maxAgeMs: 10_000, now: () => now });
  s.appendMany([draft(), draft()]);
  now += 5_000;
  s.append(draft());
  now += 6_000;
  const recs = s.enforceBounds();
  assert.equal(recs.map((r) => [r.reason, r.firstSeq, r.lastSeq, r.count]), [['age', 0, 1, 2]]);
  assert.equal(s.pending(-1, 10).map((r) => r.seq), [2]);
  assert.is(metrics.value('spool_evicted_total', { reason: 'age' }), 2);
  s.close();
});

test('export as jsonl and csv keeps the signed reading', () => {
  const s = Spool.open({ path: file(), pod: POD, sign });
  s.appendMany([draft('a.b'), draft()]);
  assert.throws(() => s.append(draft('a,b')), (e: unknown) => (e as { code?: string }).code === 'PROTO_READING_INVALID');
  assert.is(s.status().lastSeq, 1, 'a refused draft burns no seq');
  s.applyAck({ stored: [], duplicate: [], rejected: [{ seq: 1, code: 'BAL_POD_UNKNOWN', reason: 'no such "pod"' }] });
  const lines: string[] = [];
  assert.is(exportSpool(s, { format: 'jsonl' }, (l) => lines.push(l)), 1);
  const row = JSON.parse(lines[0]!) as { state: string; reading: SignedReading };
  assert.is(row.state, 'pending');
  assert.is(row.reading.meter, 'a.b');
  assert.ok(row.reading.signature.startsWith('0x'));
  const csv: string[] = [];
  assert.is(exportSpool(s, { format: 'csv', table: 'quarantine' }, (l) => csv.push(l)), 1);
  assert.ok(csv[0]!.startsWith('state,seq,pod'));
  assert.ok(csv[1]!.includes('BAL_POD_UNKNOWN') && csv[1]!.includes('"no such ""pod"""'));
  assert.ok(csv[1]!.includes('1-0:1.8.0=1234e0 Wh'));
  s.close();
});

test('a file that is not a database fails with EDGE_SPOOL_OPEN', async () => {
  const { writeFileSync } = await import('node:fs');
  const path = file();
  writeFileSync(path, 'this is not sqlite'.repeat(100));
  try { Spool.open({ path, pod: POD, sign }); assert.unreachable(); } catch (e) { assert.is((e as { code: string }).code, 'EDGE_SPOOL_OPEN'); }
  assert.ok(signCalls > 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
