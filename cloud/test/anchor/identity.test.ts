// The chain identity comparison (cloud/src/chain/identity.ts): each difference named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { identityProblems, type ExpectedChain } from '../../src/chain/identity.js';

const H = (c: string) => `0x${c.repeat(64)}` as const;
const expected: ExpectedChain = { chainId: 31337, deployBlock: 1, deployBlockHash: H('a'), contracts: { PodRegistry: `0x${'1'.repeat(40)}`, ReadingAnchor: `0x${'2'.repeat(40)}` } };

test('the same chain has no problem; unchecked code is not a problem', () => {
  assert.equal(identityProblems(expected, { chainId: 31337, deployBlockHash: H('a'), codeBytes: { PodRegistry: 5000, ReadingAnchor: 7000 } }), []);
  assert.equal(identityProblems(expected, { chainId: 31337, deployBlockHash: H('a'), codeBytes: {} }), []);
  assert.equal(identityProblems({ ...expected, deployBlockHash: null }, { chainId: 31337, deployBlockHash: H('b'), codeBytes: {} }), [], 'an unknown hash is pinned, not compared');
});

test('another chain id, a missing or different deploy block, missing code: each named', () => {
  assert.match(identityProblems(expected, { chainId: 1, deployBlockHash: H('a'), codeBytes: {} }).join(), /chain id 1, expected 31337/);
  assert.match(identityProblems(expected, { chainId: 31337, deployBlockHash: null, codeBytes: {} }).join(), /no block 1/);
  assert.match(identityProblems(expected, { chainId: 31337, deployBlockHash: H('b'), codeBytes: {} }).join(), /deploy block 1 has hash 0xbbb/);
  const p = identityProblems(expected, { chainId: 31337, deployBlockHash: H('a'), codeBytes: { PodRegistry: 0, ReadingAnchor: 10 } });
  assert.equal(p, [`no PodRegistry code at 0x${'1'.repeat(40)}`]);
  assert.is(identityProblems(expected, { chainId: 5, deployBlockHash: null, codeBytes: { PodRegistry: 0, ReadingAnchor: 0 } }).length, 4);
});

test.run();
