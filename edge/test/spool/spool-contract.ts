/**
 * The one contract suite every SpoolPort implementation passes (STYLE habit 10): run by
 * `spool-contract.test.ts` against the SQLite `Spool` and the in-memory `MemorySpool`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import type { SpoolPort } from '../../src/spool/port.js';
import { draft } from '../helpers/drafts.js';

export const CONTRACT_POD = 'IT001E12345678';

/** Builds a fresh, empty spool for one test. */
export interface SpoolFactory {
  open(opts: { pod: string; sign: (r: Reading) => SignedReading }): SpoolPort;
  /** Release it (close the file, delete the directory). */
  close(spool: SpoolPort): void;
}

// The spool is signer-agnostic; a marker signature shows sign() ran.
const sig = `0x${'ab'.repeat(64)}1b` as const;

/** Register the contract suite for one implementation. */
export function spoolContract(name: string, factory: SpoolFactory): void {
  const t = suite(`SpoolPort contract: ${name}`);
  let failSign = false;
  let spool: SpoolPort;
  const sign = (r: Reading): SignedReading => {
    if (failSign) throw new Error('hsm gone');
    return { ...r, signature: sig };
  };
  t.before.each(() => { failSign = false; spool = factory.open({ pod: CONTRACT_POD, sign }); });
  t.after.each(() => factory.close(spool));

  t('appendMany: consecutive seqs from 0, pod added, signed; an empty list is a no-op', () => {
    assert.equal(spool.appendMany([]), []);
    const a = spool.appendMany([draft(), draft('m2')]);
    assert.equal(a.map((r) => [r.seq, r.pod, r.meter, r.signature]), [[0, CONTRACT_POD, 'm1', sig], [1, CONTRACT_POD, 'm2', sig]]);
    assert.is(spool.appendMany([draft()])[0]!.seq, 2);
    assert.equal(spool.status(), { ...spool.status(), depth: 3, lastSeq: 2, quarantined: 0, lastAckSeq: null });
  });

  t('all or nothing: a throwing signer or a bad draft commits nothing and burns no seq', () => {
    spool.appendMany([draft()]);
    failSign = true;
    assert.throws(() => spool.appendMany([draft(), draft()]));
    failSign = false;
    assert.throws(() => spool.appendMany([draft(), draft('a,b')]), (e: unknown) => isLightNodeError(e, 'PROTO_READING_INVALID'));
    assert.is(spool.status().depth, 1);
    assert.is(spool.status().lastSeq, 0);
    assert.is(spool.appendMany([draft()])[0]!.seq, 1);
  });

  t('pending: oldest first after a cursor, limited; body is the signed JSON, bytes its UTF-8 length', () => {
    const signed = spool.appendMany(Array.from({ length: 10 }, (_, i) => draft('m1', 1_700_000_000_000 + i, i)));
    assert.equal(spool.pending(-1, 4).map((r) => r.seq), [0, 1, 2, 3]);
    assert.equal(spool.pending(3, 100).map((r) => r.seq), [4, 5, 6, 7, 8, 9]);
    assert.equal(spool.pending(9, 100), []);
    for (const r of spool.pending(-1, 100)) {
      assert.is(r.body, JSON.stringify(signed[r.seq]));
      assert.is(r.bytes, Buffer.byteLength(r.body));
    }
  });

  t('applyAck: deletes stored and duplicate, quarantines rejected, counts unknown and repeated seqs', () => {
    spool.appendMany(Array.from({ length: 10 }, () => draft()));
    const res = spool.applyAck({ stored: [0, 1], duplicate: [2], rejected: [{ seq: 3, code: 'BAL_SIGNATURE_INVALID', reason: 'bad sig' }, { seq: 99, code: 'BAL_X', reason: '' }] });
    assert.equal(res, { deleted: 3, quarantined: 1, unknown: 1 });
    assert.equal(spool.pending(-1, 100).map((r) => r.seq), [4, 5, 6, 7, 8, 9]);
    assert.is(spool.status().depth, 6);
    assert.is(spool.status().quarantined, 1);
    assert.is(spool.status().lastAckSeq, 3);
    assert.equal(spool.applyAck({ stored: [0, 5], duplicate: [], rejected: [] }), { deleted: 1, quarantined: 0, unknown: 1 }, 'an acked seq is gone');
    assert.is(spool.status().lastAckSeq, 5);
    spool.applyAck({ stored: [4], duplicate: [], rejected: [] });
    assert.is(spool.status().lastAckSeq, 5, 'lastAckSeq never goes back');
  });

  t('seqs are never reused once acks empty the spool', () => {
    spool.appendMany([draft(), draft(), draft()]);
    spool.applyAck({ stored: [0, 1, 2], duplicate: [], rejected: [] });
    assert.is(spool.status().depth, 0);
    assert.is(spool.appendMany([draft()])[0]!.seq, 3);
    assert.equal(spool.pending(-1, 10).map((r) => r.seq), [3]);
  });

  t.run();
}
