// Pure batch decisions: future skew, registry verdicts (final vs deferred), repeats within a
// batch, and the one-verdict-per-seq ack normalisation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addStoreOutcomes, finalizeAck, planBatch } from '../../src/ingest/batch-plan.js';
import type { Ack as AckMessage } from '@lightnode/shared/messages';
import type { CoreItem } from '../../src/verify/verify-core.js';
import { readingBody } from '../../src/store/common.js';

const A = '0x00000000000000000000000000000000000000aa' as const;
function ok(seq: number, ts: number, digest = `0x${String(seq).padStart(64, '0')}`): CoreItem {
  const reading = { pod: 'IT001E00000001', meter: 'm', seq, timestamp: ts, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 1, scale: 0, unit: 'Wh' }], signature: '0x00' as const };
  return { ok: true, signer: A, digest: digest as `0x${string}`, reading, body: readingBody(reading) };
}

test('planBatch: skew, final and deferred registry verdicts, repeats, unattributable', () => {
  const now = 1_800_000_000_000;
  const items: CoreItem[] = [
    ok(1, now), ok(2, now + 10_001), ok(3, now), ok(4, now), ok(1, now),
    { ok: false, seq: null, code: 'BAL_READING_INVALID', reason: 'x' },
    { ok: false, seq: 9, code: 'BAL_SIGNATURE_INVALID', reason: 'bad sig' },
  ];
  const verdicts = [{ ok: true as const }, { ok: true as const }, { ok: false as const, code: 'BAL_DEVICE_REVOKED' as const, reason: 'r' }, { ok: false as const, retry: true as const, reason: 'down' }, { ok: true as const }, null, null];
  const plan = planBatch(items, verdicts, now, 10_000);
  assert.equal(plan.toStore.map((x) => x.reading.seq), [1]);
  assert.equal(plan.repeats.map((x) => x.reading.seq), [1]);
  assert.equal(plan.rejected.map((r) => [r.seq, r.code]), [[2, 'BAL_TIMESTAMP_FUTURE'], [3, 'BAL_DEVICE_REVOKED'], [9, 'BAL_SIGNATURE_INVALID']]);
  assert.is(plan.deferred, 1);
  assert.is(plan.unattributable, 1);
  assert.is(plan.toStore[0]!.receivedAtMs, now);
});

test('finalizeAck: each seq once, stored > duplicate > rejected, sorted, reasons capped', () => {
  const ack: AckMessage = { v: 1, stored: [5, 3], duplicate: [3, 7], rejected: [{ seq: 5, code: 'BAL_SIGNER_NOT_REGISTERED', reason: 'r' }, { seq: 8, code: 'BAL_EQUIVOCATION', reason: 'x'.repeat(600) }, { seq: 8, code: 'BAL_READING_INVALID', reason: 'y' }, { seq: 7, code: 'BAL_READING_INVALID', reason: 'z' }] };
  finalizeAck(ack);
  assert.equal(ack.stored, [3, 5]);
  assert.equal(ack.duplicate, [7]);
  assert.equal(ack.rejected.map((r) => [r.seq, r.code, r.reason.length]), [[8, 'BAL_EQUIVOCATION', 512]]);
});

test('finalizeAck: a clean ascending stored list is kept as is; an unsorted or repeated one is still sorted and deduplicated', () => {
  const clean: AckMessage = { v: 1, stored: [1, 2, 9], duplicate: [], rejected: [] };
  finalizeAck(clean);
  assert.equal(clean.stored, [1, 2, 9]);
  for (const stored of [[4, 2], [3, 3], [1, 5, 5, 2]]) {
    const ack: AckMessage = { v: 1, stored, duplicate: [], rejected: [] };
    finalizeAck(ack);
    assert.equal(ack.stored, [...new Set(stored)].sort((a, b) => a - b), String(stored));
  }
});

test('planBatch: a single-reading batch goes to toStore (no repeats to look for)', () => {
  const plan = planBatch([ok(4, 1000)], [{ ok: true }], 1000, 10_000);
  assert.equal(plan.toStore.map((x) => x.reading.seq), [4]);
  assert.equal(plan.repeats, []);
});

test('addStoreOutcomes maps store outcomes (equivocation → BAL_EQUIVOCATION) and refuses a short result', () => {
  const now = 1_800_000_000_000;
  const plan = planBatch([ok(1, now), ok(2, now), ok(3, now)], [{ ok: true }, { ok: true }, { ok: true }], now, 0);
  const ack: AckMessage = { v: 1, stored: [], duplicate: [], rejected: [] };
  addStoreOutcomes(ack, plan.toStore, { stored: [1], duplicate: [2], equivocation: [3], outcomes: ['stored', 'duplicate', 'equivocation'], ids: [1, 2, 3] });
  assert.equal([ack.stored, ack.duplicate, ack.rejected.map((r) => r.code)], [[1], [2], ['BAL_EQUIVOCATION']]);
  assert.throws(() => addStoreOutcomes(ack, plan.toStore, { stored: [], duplicate: [], equivocation: [], outcomes: ['stored'], ids: [1] }));
});

test.run();
