// The hand-kept SubscriptionRegistry ABI and error codes (src/subscriptions/abi.ts, errors.ts)
// against the compiled artifact, and the ethers-free decision helpers (decision.ts) against ethers
// and a table of bad input. No chain: the on-chain cross-checks are subscription-signatures.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AbiCoder, Interface, id, keccak256 } from 'ethers';
import { isLightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { buildArtifacts } from '../src/build.js';
import { loadArtifact } from '../src/artifacts.js';
import { CONTRACTS_ERRORS } from '../src/error-codes.js';
import { SUBSCRIPTION_REGISTRY_ABI } from '../src/subscriptions/abi.js';
import { SUBSCRIPTION_ERROR_CODES, subscriptionError, subscriptionErrorCode } from '../src/subscriptions/errors.js';
import {
  DECISION_STATUS, DECISION_TYPE, checkDecision, decisionStatusName, decisionTypedData, subscriptionDomain, subscriptionKey, topicHash, type Decision,
} from '../src/subscriptions/decision.js';

buildArtifacts({ quiet: true });
const compiled = new Interface(loadArtifact('SubscriptionRegistry').abi as never);
const sorted = (i: Interface): string[] => [...i.format(false)].sort();
const A = '0x1111111111111111111111111111111111111111' as Hex;
const B = '0x2222222222222222222222222222222222222222' as Hex;

test('SUBSCRIPTION_REGISTRY_ABI is the artifact ABI: every function, event and error', () => {
  assert.equal(sorted(new Interface(SUBSCRIPTION_REGISTRY_ABI)), sorted(compiled));
});

test('every custom error of the contract but the inherited AccessControl ones has exactly one catalogued code', () => {
  const own: string[] = [];
  compiled.forEachError((e) => { if (!e.name.startsWith('AccessControl')) own.push(e.name); });
  assert.equal(Object.keys(SUBSCRIPTION_ERROR_CODES).sort(), own.sort());
  const codes = Object.values(SUBSCRIPTION_ERROR_CODES);
  assert.is(new Set(codes).size, codes.length, 'no code twice');
  for (const code of codes) assert.ok(code in CONTRACTS_ERRORS, code);
  assert.is(subscriptionErrorCode('AccessControlUnauthorizedAccount'), null);
  assert.is(subscriptionErrorCode('toString'), null, 'no inherited keys');
  const e = subscriptionError('record', { name: 'NonceMismatch', args: [2n, 1n] }, 'cause');
  assert.ok(isLightNodeError(e, 'CONTRACTS_SUBSCRIPTION_NONCE_MISMATCH'));
  assert.equal(e!.details, { error: 'NonceMismatch', args: ['2', '1'] });
});

test('the Decision type string is the one the contract hashes, with the tuple order of the ABI', () => {
  const tuple = compiled.getFunction('decisionDigest')!.inputs[0]!;
  const fromAbi = `Decision(${tuple.components!.map((c) => `${c.type} ${c.name}`).join(',')})`;
  assert.is(DECISION_TYPE, fromAbi);
});

test('status names and numbers', () => {
  assert.equal(DECISION_STATUS, { none: 0, requested: 1, accepted: 2, refused: 3, revoked: 4, cancelled: 5 });
  assert.is(decisionStatusName(4), 'revoked');
  for (const bad of [-1, 6, 1.5, Number.NaN]) assert.throws(() => decisionStatusName(bad), (e: unknown) => isLightNodeError(e, 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID'));
});

test('subscriptionKey and topicHash equal ethers\' abi.encode + keccak256', () => {
  for (const topic of ['t', 'certified/v1/IT001E12345678/readings', 'ünï/€']) {
    const expected = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'address', 'bytes32'], [A, B, id(topic)]));
    assert.is(subscriptionKey(A, B, topic), expected, topic);
    assert.is(subscriptionKey(A.toUpperCase().replace('0X', '0x'), B, topic), expected, 'case-insensitive addresses');
    assert.is(topicHash(topic), id(topic));
  }
  assert.is.not(subscriptionKey(A, B, 't'), subscriptionKey(B, A, 't'), 'provider and consumer are not interchangeable');
});

test('decisionTypedData: the eth_signTypedData_v4 JSON, numbers as decimal strings, addresses lower-case', () => {
  const domain = subscriptionDomain(31337, '0xABCDEFabcdefABCDEFabcdefABCDEFabcdefABCD');
  const typed = decisionTypedData(domain, { provider: A, consumer: B.toUpperCase().replace('0X', '0x') as Hex, topic: 'x', status: 2, nonce: 7n, deadline: 99 });
  assert.equal(JSON.parse(JSON.stringify(typed)), {
    types: {
      EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'version', type: 'string' }, { name: 'chainId', type: 'uint256' }, { name: 'verifyingContract', type: 'address' }],
      Decision: [{ name: 'provider', type: 'address' }, { name: 'consumer', type: 'address' }, { name: 'topic', type: 'string' }, { name: 'status', type: 'uint8' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint64' }],
    },
    domain: { name: 'LightNode SubscriptionRegistry', version: '1', chainId: 31337, verifyingContract: '0xabcdefabcdefabcdefabcdefabcdefabcdefabcd' },
    primaryType: 'Decision',
    message: { provider: A, consumer: B, topic: 'x', status: '2', nonce: '7', deadline: '99' },
  });
});

test('checkDecision and subscriptionDomain refuse malformed input, naming the field', () => {
  const good: Decision = { provider: A, consumer: B, topic: 'x', status: 1, nonce: 0n, deadline: 0 };
  assert.equal(checkDecision(good), good);
  const bad: [string, Partial<Record<keyof Decision, unknown>>][] = [
    ['provider', { provider: '0x12' }], ['consumer', { consumer: 'nope' }], ['topic', { topic: '' }], ['topic', { topic: 'é'.repeat(129) }],
    ['topic', { topic: 5 }], ['status', { status: 0 }], ['status', { status: 6 }], ['status', { status: 1.5 }], ['nonce', { nonce: 1 }],
    ['nonce', { nonce: -1n }], ['nonce', { nonce: 1n << 256n }], ['deadline', { deadline: -1 }], ['deadline', { deadline: 1.5 }], ['deadline', { deadline: 10n }],
  ];
  for (const [field, patch] of bad) {
    try {
      checkDecision({ ...good, ...patch } as Decision);
      assert.unreachable(`${field} ${JSON.stringify(patch, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))} accepted`);
    } catch (err) {
      assert.ok(isLightNodeError(err, 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID'), String(err));
      assert.match((err as Error).message, `decision.${field}`);
    }
  }
  assert.ok(checkDecision({ ...good, topic: 'é'.repeat(128) }), '256 UTF-8 bytes is the limit');
  assert.throws(() => subscriptionDomain(0, A), /chainId/);
  assert.throws(() => subscriptionDomain(1, '0x1234'), /verifyingContract/);
});

test.run();
