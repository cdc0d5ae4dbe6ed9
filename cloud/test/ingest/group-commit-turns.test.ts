// Group commit's timing, with the event-loop turn stepped by hand (no real waits): batches
// submitted in one turn share one transaction, batches arriving while it runs share the next,
// the reading cap and a repeated (signer, seq) split groups, a failed transaction rejects only
// its own batches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StoreBatchResult, StoredReadingInput } from '../../src/store/types.js';
import type { Hex } from '@lightnode/shared/hex';
import { createGroupCommitter } from '../../src/ingest/group-commit.js';

function input(device: number, seq: number): StoredReadingInput {
  return {
    reading: { pod: 'IT001E00000001', meter: 'm', seq, timestamp: 1_763_776_000_000 + seq, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: seq, scale: 0, unit: 'Wh' }], signature: `0x${'11'.repeat(65)}` as Hex },
    digest: `0x${String(device * 1000 + seq).padStart(64, '0')}` as Hex, signer: `0x${String(device).padStart(40, '0')}` as Hex, receivedAtMs: 0,
  };
}

/** A store whose transactions the test completes (or fails) one by one, and a hand-stepped turn. */
function rig(maxReadings?: number) {
  const txs: { inputs: StoredReadingInput[]; done(err?: Error): void }[] = [];
  const store = {
    storeBatch: (inputs: StoredReadingInput[]) => new Promise<StoreBatchResult>((resolve, reject) => {
      txs.push({ inputs, done: (err) => (err ? reject(err) : resolve({ outcomes: inputs.map(() => 'stored'), ids: inputs.map((_, i) => i + 1), stored: [], duplicate: [], equivocation: [] })) });
    }),
  };
  const turns: (() => void)[] = [];
  const gc = createGroupCommitter(store, { maxReadings, defer: (fn) => turns.push(fn) });
  const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await Promise.resolve(); };
  const nextTurn = async (): Promise<void> => { turns.splice(0).forEach((f) => f()); await settle(); };
  return { gc, txs, turns, nextTurn, settle };
}

test('one turn, one transaction: nothing is stored before the turn ends', async () => {
  const { gc, txs, turns, nextTurn } = rig();
  const a = gc.submit([input(1, 0), input(1, 1)]);
  const b = gc.submit([input(2, 0)]);
  assert.is(txs.length, 0, 'still in the submitting turn');
  assert.is(turns.length, 1, 'one drain scheduled for both');
  await nextTurn();
  assert.equal(txs.map((t) => t.inputs.length), [3]);
  txs[0]!.done();
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(ra.outcomes, ['stored', 'stored']);
  assert.equal(ra.stored, [0, 1]);
  assert.equal(rb.ids, [3], 'each batch gets the outcomes of exactly its inputs');
});

test('batches arriving during a transaction share the next one, without another turn', async () => {
  const { gc, txs, turns, nextTurn, settle } = rig();
  const first = gc.submit([input(1, 0)]);
  await nextTurn();
  const later = [gc.submit([input(1, 1)]), gc.submit([input(2, 1)])];
  assert.is(turns.length, 0, 'no drain scheduled while one runs');
  txs[0]!.done();
  await first;
  await settle();
  assert.equal(txs.map((t) => t.inputs.length), [1, 2]);
  txs[1]!.done();
  await Promise.all(later);
});

test('the reading cap and a repeated (signer, seq) split groups; a failed transaction rejects only its batches', async () => {
  const { gc, txs, nextTurn, settle } = rig(3);
  const a = gc.submit([input(1, 0), input(1, 1)]);
  const b = gc.submit([input(1, 1)]);            // same key as a: next transaction
  const c = gc.submit([input(2, 0), input(2, 1)]); // would exceed 3 with a: next transaction
  await nextTurn();
  assert.equal(txs.map((t) => t.inputs.map((x) => `${Number(x.signer)}:${x.reading.seq}`)), [['1:0', '1:1']]);
  txs[0]!.done(new Error('disk full'));
  assert.match(String(await a.then(() => 'stored', (e: Error) => e.message)), /disk full/);
  await settle();
  assert.equal(txs[1]!.inputs.map((x) => `${Number(x.signer)}:${x.reading.seq}`), ['1:1', '2:0', '2:1']);
  txs[1]!.done();
  assert.equal((await b).outcomes, ['stored']);
  assert.equal((await c).outcomes, ['stored', 'stored']);
});

test.run();
