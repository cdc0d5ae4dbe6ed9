// Receipt verifier against a real anvil: a receipt built from a real anchor transaction
// verifies; each kind of tampering fails the check that should catch it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { startAnvil, ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { deployAll } from '@lightnode/contracts/deploy';
import { JsonRpcProvider } from 'ethers';
import { verifyReceipt, type VerifyResult } from '../../src/verify/verify-receipt.js';
import { main as verifyCli } from '../../src/verify/cli.js';
import type { ReceiptLike } from '../../src/verify/receipt-types.js';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { anchorReadings, chainNowMs, makeReading, sign } from '../fleet/chain-fixture.js';

let f: ChainFixture;
let good: ReceiptLike;
let sibling: ReceiptLike;
let revoked: ReceiptLike;
const devA = Wallet.createRandom();
const devB = Wallet.createRandom();
const devC = Wallet.createRandom();

const clone = (r: ReceiptLike): ReceiptLike => JSON.parse(JSON.stringify(r)) as ReceiptLike;
const failed = (res: VerifyResult) => res.checks.filter((c) => !c.ok).map((c) => c.name).sort();

test.before(async () => {
  f = await startChain();
  const reg = f.registry;
  await (await reg.getFunction('register')('IT001E00000001', devA.address)).wait();
  await (await reg.getFunction('register')('IT001E00000002', devB.address)).wait();
  await (await reg.getFunction('register')('IT001E00000003', devC.address)).wait();
  const t0 = await chainNowMs(f);
  // a first anchor, so the receipts' anchor (#1) has a predecessor to link to
  await anchorReadings(f, [sign(f, makeReading('IT001E00000001', 0, t0 + 10), devA.privateKey)], [devA.address]);
  await (await reg.getFunction('revoke')('IT001E00000003')).wait();
  const tRevoked = await chainNowMs(f);
  const readings = [
    sign(f, makeReading('IT001E00000001', 1, t0 + 1000), devA.privateKey),
    sign(f, makeReading('IT001E00000002', 7, t0 + 1500), devB.privateKey),
    sign(f, makeReading('IT001E00000003', 3, tRevoked + 5000), devC.privateKey), // signed after its device was revoked
  ];
  [good, sibling, revoked] = (await anchorReadings(f, readings, [devA.address, devB.address, devC.address])) as [ReceiptLike, ReceiptLike, ReceiptLike];
});

test.after(async () => { await f?.stop(); });

test('a receipt from a real anchor transaction verifies: every check holds', async () => {
  const res = await verifyReceipt(good, { rpcUrl: f.anvil.rpcUrl });
  assert.equal(failed(res), [], JSON.stringify(res.checks, null, 1));
  assert.ok(res.ok);
  assert.equal(res.checks.map((c) => c.name), ['receipt-format', 'digest', 'signature', 'merkle-inclusion', 'anchor-window', 'chain-id', 'contracts', 'signer-registered', 'anchor-transaction', 'anchor-state', 'anchor-link', 'contract-verify']);
  assert.equal(good.anchor.index, 1);
  assert.ok((await verifyReceipt(sibling, { rpcUrl: f.anvil.rpcUrl })).ok);
});

test('changed value: digest, signature and inclusion fail', async () => {
  const r = clone(good);
  r.reading.values[0]!.value += 1;
  const res = await verifyReceipt(r, { rpcUrl: f.anvil.rpcUrl });
  assert.not.ok(res.ok);
  assert.equal(failed(res), ['contract-verify', 'digest', 'merkle-inclusion', 'signature']);
});

test('changed proof: inclusion fails', async () => {
  const r = clone(good);
  r.proof[0] = sibling.digest === r.proof[0] ? good.digest : sibling.digest;
  const res = await verifyReceipt(r, { rpcUrl: f.anvil.rpcUrl });
  assert.equal(failed(res), ['contract-verify', 'merkle-inclusion']);
  assert.match(res.checks.find((c) => c.name === 'contract-verify')!.detail, /NotIncluded/);
  const r2 = clone(good);
  r2.proof.pop();
  assert.equal(failed(await verifyReceipt(r2, { rpcUrl: f.anvil.rpcUrl })), ['contract-verify', 'merkle-inclusion']);
});

// (the contract's own verifyReading looks the root up by index, so it still holds: the receipt's root is what is wrong)
test('wrong root: inclusion and both on-chain anchor checks fail', async () => {
  const r = clone(good);
  r.anchor.root = `0x${'ab'.repeat(32)}`;
  const res = await verifyReceipt(r, { rpcUrl: f.anvil.rpcUrl });
  assert.equal(failed(res), ['anchor-state', 'anchor-transaction', 'merkle-inclusion']);
});

test('wrong chain id in the receipt: chain-id, digest and signature fail', async () => {
  const r = clone(good);
  r.chainId = 1;
  const res = await verifyReceipt(r, { rpcUrl: f.anvil.rpcUrl });
  assert.ok(failed(res).includes('chain-id'));
  assert.ok(failed(res).includes('digest'));
});

test('wrong chain: same contract addresses on another chain do not hold the anchor', async () => {
  const other = await startAnvil({ chainId: 31338 });
  try {
    const p = new JsonRpcProvider(other.rpcUrl, other.chainId, { staticNetwork: true, cacheTimeout: -1 });
    const d = await deployAll(new Wallet(ANVIL_PRIVATE_KEYS[0], p), { rpcUrl: other.rpcUrl });
    assert.is(d.podRegistry, f.deployment.podRegistry); // deterministic addresses: only the chain differs
    const res = await verifyReceipt(good, { rpcUrl: other.rpcUrl });
    assert.not.ok(res.ok);
    assert.ok(failed(res).includes('chain-id'));
    assert.ok(failed(res).includes('anchor-transaction'));
    assert.ok(failed(res).includes('signer-registered'));
    p.destroy();
  } finally {
    await other.stop();
  }
});

test('signature by a device revoked before the reading: signer-registered fails, the rest holds', async () => {
  const res = await verifyReceipt(revoked, { rpcUrl: f.anvil.rpcUrl });
  assert.equal(failed(res), ['contract-verify', 'signer-registered']);
  assert.match(res.checks.find((c) => c.name === 'signer-registered')!.detail, /no active device/);
  assert.match(res.checks.find((c) => c.name === 'contract-verify')!.detail, /NoDeviceAtTime/);
});

test('another signer named, broken anchor link, or a foreign tx: each caught', async () => {
  const a = clone(good); a.signer = devB.address.toLowerCase();
  assert.equal(failed(await verifyReceipt(a, { rpcUrl: f.anvil.rpcUrl })), ['signature', 'signer-registered']);
  const b = clone(good); b.anchor.prevHash = `0x${'11'.repeat(32)}`;
  assert.equal(failed(await verifyReceipt(b, { rpcUrl: f.anvil.rpcUrl })), ['anchor-link', 'anchor-state', 'anchor-transaction']);
  const w = clone(good); w.anchor.toMs = w.reading.timestamp - 1;
  assert.equal(failed(await verifyReceipt(w, { rpcUrl: f.anvil.rpcUrl })), ['anchor-state', 'anchor-transaction', 'anchor-window']);
  const c = clone(good); c.anchor.index = 0;
  assert.not.ok((await verifyReceipt(c, { rpcUrl: f.anvil.rpcUrl })).ok);
});

test('look-alike contracts: a pinned deployment refuses them; the anchor must be bound to the named registry', async () => {
  const pinned = await verifyReceipt(good, { rpcUrl: f.anvil.rpcUrl, expect: { readingAnchor: f.deployment.readingAnchor, podRegistry: f.deployment.podRegistry } });
  assert.ok(pinned.ok);
  assert.match(pinned.checks.find((c) => c.name === 'contracts')!.detail, /expected contracts/);
  const other = `0x${'42'.repeat(20)}`;
  const wrong = await verifyReceipt(good, { rpcUrl: f.anvil.rpcUrl, expect: { readingAnchor: other } });
  assert.equal(failed(wrong), ['contracts']);
  const r = clone(good); r.contracts.podRegistry = f.deployment.readingAnchor; // an address that is not the anchor's registry
  assert.ok(failed(await verifyReceipt(r, { rpcUrl: f.anvil.rpcUrl })).includes('contracts'));
  const dep = join(mkdtempSync(join(tmpdir(), 'verify-dep-')), 'deployment.json');
  writeFileSync(dep, JSON.stringify({ ...f.deployment, readingAnchor: other }));
  const goodPath = join(f.dir, 'pinned-good.json');
  writeFileSync(goodPath, JSON.stringify(good));
  assert.is(await verifyCli([goodPath, '--rpc', f.anvil.rpcUrl, '--deployment', f.deploymentPath], () => {}), 0);
  assert.is(await verifyCli([goodPath, '--rpc', f.anvil.rpcUrl, '--deployment', dep], () => {}), 1);
});

test('unreachable RPC and malformed receipts fail cleanly', async () => {
  const res = await verifyReceipt(good, { rpcUrl: 'http://127.0.0.1:1', timeoutMs: 2000 });
  assert.not.ok(res.ok);
  assert.ok(failed(res).includes('chain-reachable'));
  for (const bad of [null, 42, {}, { ...clone(good), v: 2 }, { ...clone(good), proof: 'x' }, { ...clone(good), signer: 'nope' }]) {
    const r = await verifyReceipt(bad, { rpcUrl: f.anvil.rpcUrl });
    assert.not.ok(r.ok);
    assert.equal(failed(r), ['receipt-format']);
  }
});

test('CLI: exit 0 and a human summary for a good receipt, 1 for a tampered one, --json for machines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-cli-'));
  const goodPath = join(dir, 'good.json');
  writeFileSync(goodPath, JSON.stringify(good));
  const badPath = join(dir, 'bad.json');
  const bad = clone(good); bad.reading.values[1]!.value = 9999;
  writeFileSync(badPath, JSON.stringify(bad));
  let out = '';
  assert.is(await verifyCli([goodPath, '--rpc', f.anvil.rpcUrl], (s) => (out += s)), 0);
  assert.match(out, /receipt VALID/);
  out = '';
  assert.is(await verifyCli([badPath, '--rpc', f.anvil.rpcUrl, '--json'], (s) => (out += s)), 1);
  const parsed = JSON.parse(out) as VerifyResult;
  assert.is(parsed.ok, false);
  assert.is(parsed.checks.find((c) => c.name === 'digest')!.ok, false);
  let err = '';
  const coded = async (args: string[], code: string, reason: RegExp) => {
    out = ''; err = '';
    assert.is(await verifyCli(args, (s) => (out += s), (s) => (err += s)), 2, args.join(' '));
    assert.is(out, '', 'refusals go to stderr, not stdout');
    assert.match(err, new RegExp(`^${code}: `));
    assert.match(err, reason);
  };
  await coded([join(dir, 'missing.json'), '--rpc', f.anvil.rpcUrl], 'VERIFY_RECEIPT_UNREADABLE', /ENOENT/);
  const garbage = join(dir, 'garbage.bin');
  writeFileSync(garbage, Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x80, 0x7b, 0x0a, 0xc3, 0x28]));
  await coded([garbage, '--rpc', f.anvil.rpcUrl], 'VERIFY_RECEIPT_UNREADABLE', /garbage\.bin is not a JSON receipt/);
  assert.not.match(err, /[^\x20-\x7e\n]/, 'no raw bytes of the file echoed');
  await coded([goodPath], 'VERIFY_USAGE', /missing --rpc/);
  await coded(['--rpc', f.anvil.rpcUrl], 'VERIFY_USAGE', /missing the receipt file/);
  await coded([goodPath, '--rpc', f.anvil.rpcUrl, '--timeout-ms', 'soon'], 'VERIFY_USAGE', /--timeout-ms: expected a positive integer, found soon/);
  await coded([goodPath, '--rpc', f.anvil.rpcUrl, '--deployment', join(dir, 'nope.json')], 'VERIFY_DEPLOYMENT_UNREADABLE', /nope\.json/);
});

test.run();
