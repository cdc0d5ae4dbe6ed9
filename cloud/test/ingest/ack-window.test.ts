// The cumulative ack window, pure: flush on delay and on count, one verdict per seq (settled
// beats rejected), ranges split at gaps, and each flushed ack is a valid v 2 message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCumulativeAck, serializeCumulativeAck, type CumulativeAck } from '@lightnode/shared/messages';
import { createAckWindow } from '../../src/ingest/ack-window.js';

function harness(maxReadings = 100) {
  const sent: { pod: string; ack: CumulativeAck }[] = [];
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const w = createAckWindow({
    maxDelayMs: 50, maxReadings,
    publish: (pod, ack) => sent.push({ pod, ack: parseCumulativeAck(serializeCumulativeAck(ack)) }),
    setTimer: (fn, ms) => { const t = { fn, ms, cancelled: false }; timers.push(t); return () => { t.cancelled = true; }; },
  });
  const fire = () => { for (const t of timers.splice(0)) if (!t.cancelled) t.fn(); };
  return { w, sent, timers, fire };
}

test('nothing is sent before the delay; then one ack per PoD with ranges split at gaps', () => {
  const h = harness();
  h.w.add('A', [0, 1, 2], []);
  h.w.add('A', [4], [{ seq: 3, code: 'BAL_SIGNATURE_INVALID', reason: 'x' }]);
  h.w.add('A', [7, 6], []);
  h.w.add('B', [10], []);
  assert.is(h.sent.length, 0);
  assert.is(h.timers.length, 2, 'one timer per PoD window');
  assert.is(h.timers[0]!.ms, 50);
  h.fire();
  assert.equal(h.sent.map((s) => s.pod), ['A', 'B']);
  assert.equal(h.sent[0]!.ack.settled, [[0, 2], [4, 4], [6, 7]], 'seq 5 (never settled) splits the range; 3 is rejected, not settled');
  assert.equal(h.sent[0]!.ack.rejected.map((r) => r.seq), [3]);
  assert.equal(h.sent[1]!.ack.settled, [[10, 10]]);
  assert.is(h.w.waiting(), 0);
});

test('a later stored copy of a rejected seq wins (the safe verdict), a rejection never overrides a settled seq', () => {
  const h = harness();
  h.w.add('A', [], [{ seq: 5, code: 'BAL_SIGNATURE_INVALID', reason: 'forged copy' }]);
  h.w.add('A', [5], []);
  h.w.add('A', [], [{ seq: 5, code: 'BAL_EQUIVOCATION', reason: 'x' }]);
  h.fire();
  assert.equal(h.sent[0]!.ack.settled, [[5, 5]]);
  assert.equal(h.sent[0]!.ack.rejected, []);
});

test('maxReadings waiting: sent at once, its timer cancelled; the next seqs open a new window', () => {
  const h = harness(3);
  h.w.add('A', [0, 1], []);
  assert.is(h.sent.length, 0);
  h.w.add('A', [2], []);
  assert.is(h.sent.length, 1);
  assert.equal(h.sent[0]!.ack.settled, [[0, 2]]);
  assert.ok(h.timers[0]!.cancelled);
  h.w.add('A', [3], []);
  h.fire();
  assert.equal(h.sent.map((s) => s.ack.settled), [[[0, 2]], [[3, 3]]]);
});

test('flushAll sends every waiting ack (shutdown); empty adds send nothing', () => {
  const h = harness();
  h.w.add('A', [], []);
  assert.is(h.w.waiting(), 0);
  h.w.add('A', [1], []);
  h.w.add('B', [], [{ seq: 2, code: 'BAL_READING_INVALID', reason: 'r' }]);
  h.w.flushAll();
  assert.is(h.sent.length, 2);
  h.fire();
  assert.is(h.sent.length, 2, 'cancelled timers send nothing more');
});

test.run();
