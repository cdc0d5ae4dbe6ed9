// The pure send window, driven by a fake clock: what goes next, in-flight accounting, ack
// matching, ack timeouts, rewind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_MESSAGE_BYTES } from '@lightnode/shared/message-codec';
import { BatchWindow } from '../../src/uplink/batch-window.js';
import { FakeClock } from '../../src/scheduler/clock.js';
import type { OutboxRow } from '../../src/spool/port.js';

const row = (seq: number, bytes = 100): OutboxRow => ({ seq, bytes, body: `{"seq":${seq}}` });
const rows = (from: number, n: number, bytes = 100): OutboxRow[] => Array.from({ length: n }, (_, i) => row(from + i, bytes));

test('take: batches follow the cursor, oldest first, until the window is full', () => {
  const clock = new FakeClock();
  const w = new BatchWindow({ maxInFlight: 2, ackTimeoutMs: 1000 });
  assert.is(w.cursor, -1);
  const a = w.take(rows(0, 3), clock.now())!;
  assert.equal(a.rows.map((r) => r.seq), [0, 1, 2]);
  assert.is(a.bytes, 300);
  assert.is(w.cursor, 2);
  const b = w.take(rows(3, 2), clock.now())!;
  assert.equal(b.rows.map((r) => r.seq), [3, 4]);
  assert.is(w.inFlight, 2);
  assert.is(w.hasRoom, false);
  assert.is(w.take(rows(5, 1), clock.now()), undefined, 'window full');
  assert.is(new BatchWindow({ maxInFlight: 1, ackTimeoutMs: 1 }).take([], 0), undefined, 'nothing to send');
});

test('take cuts a batch at the shared 1 MiB message limit (envelope and commas counted)', () => {
  const w = new BatchWindow({ maxInFlight: 8, ackTimeoutMs: 1000 });
  const big = 300 * 1024;
  const b = w.take(rows(0, 5, big), 0)!;
  assert.is(b.rows.length, 3, '3 × 300 KiB fit in 1 MiB, 4 do not');
  assert.ok(b.bytes + 2 + 21 <= MAX_MESSAGE_BYTES);
  assert.is(w.cursor, 2);
  assert.equal(w.take(rows(3, 2, big), 0)!.rows.map((r) => r.seq), [3, 4]);
});

test('acks: a batch leaves the window when every one of its seqs is answered, in any order', () => {
  const w = new BatchWindow({ maxInFlight: 2, ackTimeoutMs: 1000 });
  w.take(rows(0, 3), 0);
  w.take(rows(3, 3), 0);
  w.acked([4, 0]);
  assert.is(w.inFlight, 2);
  w.acked([1, 2, 99]); // 99: never sent by this window, ignored
  assert.is(w.inFlight, 1);
  assert.is(w.hasRoom, true);
  w.acked([3, 5]);
  assert.is(w.inFlight, 0);
  w.acked([3, 5]); // repeated acks change nothing
  assert.is(w.inFlight, 0);
  assert.is(w.cursor, 5, 'acks do not move the cursor');
});

test('overdue after ackTimeoutMs on the fake clock; rewind resends from the oldest spooled reading', async () => {
  const clock = new FakeClock();
  const w = new BatchWindow({ maxInFlight: 4, ackTimeoutMs: 1000 });
  w.take(rows(0, 2), clock.now());
  await clock.advance(600);
  w.take(rows(2, 2), clock.now());
  await clock.advance(400);
  assert.is(w.overdue(clock.now()), false, 'exactly the timeout is not over it');
  await clock.advance(1);
  assert.is(w.overdue(clock.now()), true);
  w.acked([0, 1]);
  assert.is(w.overdue(clock.now()), false, 'the late batch was acked; the other is 401 ms old');
  assert.is(w.rewind(), true, 'something was outstanding: a resend');
  assert.is(w.cursor, -1);
  assert.is(w.inFlight, 0);
  w.acked([2, 3]); // acks of batches sent before the rewind are harmless
  assert.is(w.rewind(), false, 'nothing sent since: not a resend');
});

test.run();
