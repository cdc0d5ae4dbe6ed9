// Group commit on the real SQLite store: concurrent batches share transactions, each gets the
// outcomes of exactly its own inputs, and a (device, seq) repeated across concurrent batches
// is judged against the committed first copy (duplicate / equivocation), never stored twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore, StoredReadingInput } from '../../src/store/types.js';
import type { Hex } from '@lightnode/shared/hex';
import { createGroupCommitter } from '../../src/ingest/group-commit.js';
import { tmpDir } from './harness.js';

const tmp = tmpDir('bal-gc-');
let store: BalStore;
test.before(() => { store = openSqliteStore({ path: join(tmp.dir, 'gc.db') }); });
test.after(async () => { await store.close(); tmp.remove(); });

function input(device: number, seq: number, variant = 0): StoredReadingInput {
  const signer = `0x${device.toString(16).padStart(40, '0')}` as Hex;
  const digest = `0x${(device * 1_000_000 + seq * 10 + variant).toString(16).padStart(64, '0')}` as Hex;
  return {
    reading: { pod: `IT001E${String(device).padStart(8, '0')}`, meter: 'm', seq, timestamp: 1_763_776_000_000 + seq, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: seq + variant, scale: 0, unit: 'Wh' }], signature: `0x${'11'.repeat(65)}` as Hex },
    digest, signer, receivedAtMs: Date.now(),
  };
}

test('concurrent submits: per-batch outcomes, cross-batch repeats judged against the first', async () => {
  const gc = createGroupCommitter(store, { maxReadings: 50 });
  const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: 10 }, (_, i) => input(b + 1, i)));
  const dup = [input(1, 0)];          // identical to batch 0's seq 0
  const equiv = [input(2, 3, 1)];     // same (device 2, seq 3), other digest
  const results = await Promise.all([...batches, dup, equiv].map((b) => gc.submit(b)));
  for (let b = 0; b < 20; b++) {
    assert.equal(results[b]!.stored, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], `batch ${b}`);
    assert.is(results[b]!.outcomes.length, 10);
  }
  assert.equal(results[20]!.outcomes, ['duplicate']);
  assert.equal(results[21]!.outcomes, ['equivocation']);
  const counts = await store.counts();
  assert.is(counts.readings, 200);
  assert.is(counts.equivocations, 1);
});

test.run();
