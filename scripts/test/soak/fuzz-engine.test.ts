// The fuzz engine can fail: a parser that throws anything but a coded LightNodeError is counted
// as a crash and fails the soak's verdict; the same seed replays the same input; the soak's
// verdict also fails on a lost, doubled or reordered reading.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightNodeError } from '@lightnode/shared/errors';
import { Rng, inputAt, mutateBytes, runTarget, type FuzzTarget } from '@lightnode/shared/fuzz/engine';
import { failures, renderReport, type SoakReport } from '../../soak/report.js';
import type { PodFigures } from '../../soak/rig.js';

const fragile: FuzzTarget<Uint8Array> = {
  name: 'fragile', side: 'test',
  input: (rnd) => mutateBytes(rnd, Uint8Array.of(1, 2, 3, 4)),
  run: (b) => {
    if (b.length === 0) throw new TypeError('cannot read properties of undefined');
    if (b[0] !== 1) throw new LightNodeError('PROTO_MESSAGE_INVALID', 'first byte');
    return b.length;
  },
};

test('a parser that throws an uncoded error is counted as crashing, with a replayable index', () => {
  const r = runTarget(fragile, 5000, 3);
  assert.is(r.inputs, 5000);
  assert.ok(r.crashes > 0, 'some mutations are empty buffers');
  assert.ok((r.rejected.PROTO_MESSAGE_INVALID ?? 0) > 0);
  assert.is(r.accepted + r.crashes + r.rejected.PROTO_MESSAGE_INVALID!, 5000);
  const ex = r.examples[0]!;
  assert.match(ex.error, /TypeError/);
  assert.is(inputAt(fragile, 3, ex.index).length, 0, 'the recorded index replays the crashing input');
  const report: SoakReport = { mode: 'quick', startedAt: '', machine: '', fuzz: [r], scenarios: [], skipped: [] };
  assert.ok(failures(report).some((f) => f.startsWith('fragile:')));
  assert.match(renderReport(report), /FAILED/);
});

test('the same seed gives the same inputs; another seed others', () => {
  const a = Array.from({ length: 50 }, (_, i) => Buffer.from(inputAt(fragile, 9, i)).toString('hex'));
  const b = Array.from({ length: 50 }, (_, i) => Buffer.from(inputAt(fragile, 9, i)).toString('hex'));
  const c = Array.from({ length: 50 }, (_, i) => Buffer.from(inputAt(fragile, 10, i)).toString('hex'));
  assert.equal(a, b);
  assert.not.equal(a, c);
  assert.ok(new Rng(1).next() !== new Rng(2).next());
});

test('the verdict fails on lost, doubled, unconfirmed or reordered readings', () => {
  const pod = (p: Partial<PodFigures>): PodFigures => ({ pod: 'IT001E00000001', signed: 10, stored: 10, duplicated: 0, lost: 0, stillSpooled: 0, rejected: 0, anchored: 10, orderKept: true, ...p });
  const report = (p: Partial<PodFigures>): SoakReport => ({ mode: 'quick', startedAt: '', machine: '', fuzz: [], skipped: [], scenarios: [{ name: 's', detail: '', ms: 1, pods: [pod(p)] }] });
  assert.equal(failures(report({})), []);
  assert.match(failures(report({ lost: 1, stored: 9, anchored: 9 })).join(), /1 readings lost/);
  assert.match(failures(report({ duplicated: 2 })).join(), /stored twice/);
  assert.match(failures(report({ orderKept: false })).join(), /order not kept/);
  assert.match(failures(report({ anchored: 8 })).join(), /not confirmed/);
  assert.match(failures(report({ signed: 0, stored: 0, anchored: 0 })).join(), /nothing was signed/);
});

test.run();
