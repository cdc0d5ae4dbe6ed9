// The cumulative (v 2) ack: round trip, the range rules (sorted, disjoint, not adjacent, bounded),
// one verdict per seq, both versions through parseAnyAck, and the expansion a device applies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseAnyAck, parseAck, parseCumulativeAck, serializeCumulativeAck, serializeAck, ackLists, seqRanges, MAX_ACK_SETTLED_SEQS,
  type CumulativeAck,
} from '../src/messages.js';
import { isLightNodeError } from '../src/errors.js';

const enc = new TextEncoder();
const v2: CumulativeAck = { v: 2, settled: [[0, 4], [6, 9]], rejected: [{ seq: 5, code: 'BAL_SIGNATURE_INVALID', reason: 'x' }] };

function field(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { if (isLightNodeError(e, 'PROTO_MESSAGE_INVALID')) return (e.details as { field?: string }).field; throw e; }
  return undefined;
}
const j = (o: object) => JSON.stringify({ v: 2, settled: [], rejected: [], ...o });

test('v 2 round trip through bytes; parseAnyAck takes both versions', () => {
  assert.equal(parseCumulativeAck(enc.encode(serializeCumulativeAck(v2))), v2);
  assert.equal(parseAnyAck(serializeCumulativeAck(v2)), v2);
  const v1 = { v: 1 as const, stored: [1], duplicate: [2], rejected: [] };
  assert.equal(parseAnyAck(enc.encode(serializeAck(v1))), v1);
  assert.throws(() => parseAck(serializeCumulativeAck(v2)), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'), 'a v 1 parser refuses v 2 (why the BAL sends v 2 only when configured)');
});

test('v 2 validation names the field', () => {
  assert.is(field(() => parseCumulativeAck(j({ settled: [[3, 2]] }))), 'settled[0][1]', 'to < from');
  assert.is(field(() => parseCumulativeAck(j({ settled: [[4, 6], [1, 2]] }))), 'settled[1][0]', 'unsorted');
  assert.is(field(() => parseCumulativeAck(j({ settled: [[0, 2], [3, 4]] }))), 'settled[1][0]', 'adjacent ranges must be one');
  assert.is(field(() => parseCumulativeAck(j({ settled: [[0, 2], [2, 4]] }))), 'settled[1][0]', 'overlapping');
  assert.is(field(() => parseCumulativeAck(j({ settled: [[0, 1.5]] }))), 'settled[0][1]');
  assert.is(field(() => parseCumulativeAck(j({ settled: [[0]] }))), 'settled[0]');
  assert.is(field(() => parseCumulativeAck(j({ settled: [[0, MAX_ACK_SETTLED_SEQS]] }))), 'settled[0]', 'bounded span');
  assert.is(field(() => parseCumulativeAck(j({ settled: [[0, 3]], rejected: [{ seq: 2, code: 'BAL_X', reason: '' }] }))), 'rejected[0].seq', 'a seq both settled and rejected');
  assert.is(field(() => parseCumulativeAck(j({}))), 'settled', 'empty ack');
  assert.is(field(() => parseAnyAck(j({ stored: [1] }))), 'stored', 'v 1 lists in a v 2 ack');
  assert.is(field(() => parseAnyAck(JSON.stringify({ v: 1, stored: [1], duplicate: [], rejected: [], settled: [] }))), 'settled');
  assert.is(field(() => parseAnyAck(JSON.stringify({ v: 3, settled: [[0, 1]], rejected: [] }))), 'v');
  assert.not.ok(field(() => parseCumulativeAck(j({ settled: [[0, MAX_ACK_SETTLED_SEQS - 1]] }))));
});

test('ackLists: v 2 ranges expanded into stored; v 1 unchanged', () => {
  assert.equal(ackLists(v2), { stored: [0, 1, 2, 3, 4, 6, 7, 8, 9], duplicate: [], rejected: v2.rejected });
  const v1 = { v: 1 as const, stored: [1], duplicate: [2], rejected: [] };
  assert.equal(ackLists(v1), { stored: [1], duplicate: [2], rejected: [] });
});

test('seqRanges: sorted, deduplicated, split at every gap', () => {
  assert.equal(seqRanges([7, 1, 2, 3, 2, 9, 8, 5]), [[1, 3], [5, 5], [7, 9]]);
  assert.equal(seqRanges([]), []);
  assert.equal(seqRanges([0]), [[0, 0]]);
});

test.run();
