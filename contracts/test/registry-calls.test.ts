// The ethers-free address[] decoder (src/registry/calls.ts): cross-checked with ethers' ABI coder
// on encode → decode, exact bytes → addresses, and a table of hostile return data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AbiCoder, Wallet } from 'ethers';
import { isLightNodeError } from '@lightnode/shared/errors';
import { decodeAddressArray, decodeSetpointSigners } from '../src/registry/calls.js';

const coder = AbiCoder.defaultAbiCoder();
const word = (n: number | bigint): string => BigInt(n).toString(16).padStart(64, '0');

test('decodes what ethers encodes, lower-cased, for 0, 1 and many addresses', () => {
  for (const n of [0, 1, 7, 100]) {
    const list = Array.from({ length: n }, () => Wallet.createRandom().address);
    const data = coder.encode(['address[]'], [list]);
    assert.equal(decodeSetpointSigners(data), list.map((a) => a.toLowerCase()), `${n} addresses`);
  }
});

test('exact words → addresses; accepts upper-case hex and a missing 0x', () => {
  const a = '00000000000000000000000000000000000000aa';
  const data = word(32) + word(1) + word(BigInt(`0x${a}`));
  assert.equal(decodeAddressArray(`0x${data}`), [`0x${a}`]);
  assert.equal(decodeAddressArray(data.toUpperCase()), [`0x${a}`]);
});

const hostile: [string, string, RegExp][] = [
  ['empty', '0x', /not ABI words/],
  ['one word only', `0x${word(32)}`, /not ABI words/],
  ['odd length', `0x${word(32)}${word(0)}0`, /not ABI words/],
  ['not hex', `0x${word(32)}${'zz'.repeat(32)}`, /not ABI words/],
  ['offset not a multiple of 32', `0x${word(31)}${word(0)}`, /bad array offset/],
  ['offset past the end', `0x${word(64)}${word(0)}`, /bad array offset/],
  ['length past the end', `0x${word(32)}${word(2)}${word(1)}`, /bad array length/],
  ['absurd length', `0x${word(32)}${word(2n ** 255n)}`, /bad array length/],
  ['address word with high bits', `0x${word(32)}${word(1)}${'f'.repeat(64)}`, /high bits/],
];

for (const [name, data, why] of hostile) {
  test(`refuses ${name} with CONTRACTS_ABI_DECODE naming the call`, () => {
    assert.throws(() => decodeSetpointSigners(data), (err: unknown) =>
      isLightNodeError(err, 'CONTRACTS_ABI_DECODE') && why.test(err.message) && err.message.startsWith('setpointSigners(): '));
  });
}

test.run();
