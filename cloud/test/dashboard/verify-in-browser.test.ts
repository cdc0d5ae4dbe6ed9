/**
 * The page's receipt checks (cloud/dashboard/src/verify.ts) run here in Node on the same code
 * the browser bundle carries: a real receipt from the API fixture passes all four checks; each
 * kind of tampering fails the check it should and, where independent, only that one; shared's
 * verifyReceiptOffline agrees on every case.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyReceiptOffline, validateReceipt } from '@lightnode/shared/receipt';
import { verifyReceiptInBrowser, type CheckId } from '../../dashboard/src/verify.js';
import { KEYS, startFixture, type Fixture } from '../api/api-fixture.js';

let fx: Fixture;
let receipt: any;

test.before(async () => {
  fx = await startFixture();
  const res = await fetch(`${fx.api.url}/api/readings/${fx.ids.a[1]}/receipt`, { headers: { 'x-api-key': KEYS.dso } });
  assert.is(res.status, 200);
  receipt = await res.json();
});
test.after(async () => { await fx?.close(); });

const failed = (x: unknown): CheckId[] => verifyReceiptInBrowser(x).checks.filter((c) => !c.ok).map((c) => c.id);
const offlineOk = (x: unknown): boolean => { try { verifyReceiptOffline(validateReceipt(x)); return true; } catch { return false; } };
const clone = (): any => structuredClone(receipt);

test('a real receipt passes every check', () => {
  const v = verifyReceiptInBrowser(receipt);
  assert.ok(v.ok, JSON.stringify(v.checks));
  assert.equal(v.checks.map((c) => c.id), ['shape', 'digest', 'signature', 'proof']);
  assert.ok(offlineOk(receipt));
});

const TAMPERED: [string, (r: any) => void, CheckId[]][] = [
  ['a reading value', (r) => { r.reading.values[0].value += 1; }, ['digest', 'signature']],
  ['the digest', (r) => { r.digest = `0x${'ab'.repeat(32)}`; }, ['digest', 'proof']],
  ['the signer', (r) => { r.signer = `0x${'11'.repeat(20)}`; }, ['signature']],
  ['the signature', (r) => { r.reading.signature = `0x${'22'.repeat(64)}1b`; }, ['signature']],
  ['a proof hash', (r) => { r.proof[0] = `0x${'33'.repeat(32)}`; }, ['proof']],
  ['the anchor root', (r) => { r.anchor.root = `0x${'44'.repeat(32)}`; }, ['proof']],
  ['the chain id (another domain)', (r) => { r.chainId = 1; }, ['digest', 'signature']],
  ['the shape (unknown field)', (r) => { r.extra = 1; }, ['shape', 'digest', 'signature', 'proof']],
];

for (const [what, tamper, expected] of TAMPERED) {
  test(`tampered ${what}: fails ${expected.join(', ')}`, () => {
    const r = clone();
    tamper(r);
    assert.equal(failed(r), expected);
    assert.is(offlineOk(r), false, 'shared verifyReceiptOffline agrees');
  });
}

test('hostile inputs never throw', () => {
  for (const x of [null, 1, 'x', [], {}, { v: 1 }, { ...receipt, proof: 'no' }, { ...receipt, reading: null }]) {
    const v = verifyReceiptInBrowser(x);
    assert.is(v.ok, false);
    assert.is(v.checks.length, 4);
  }
});

test.run();
