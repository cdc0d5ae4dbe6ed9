/**
 * The EIP-712 `Decision` of the SubscriptionRegistry (docs/data-access.md "On chain") as data:
 * status numbers, type, domain, the typed data a wallet signs with `eth_signTypedData_v4`, the
 * digest and the subscription key. Ethers-free (shared's keccak and EIP-712 domain hashing), so a
 * custodial signer can hash and sign with @noble/secp256k1 alone; test/subscription-registry.test.ts
 * checks every value against the contract and ethers' TypedDataEncoder.
 */
import { ValidationError } from '@lightnode/shared/errors';
import { domainSeparator, type Eip712Domain } from '@lightnode/shared/eip712';
import { bytesToHex, normalizeAddress, type Hex } from '@lightnode/shared/hex';
import { keccak256Short } from '@lightnode/shared/keccak-short';

/** The on-chain status numbers; 0 (`none`) is never signed, it is the state before the first request. */
export const DECISION_STATUS = { none: 0, requested: 1, accepted: 2, refused: 3, revoked: 4, cancelled: 5 } as const;

/** A status name, `none` included. */
export type DecisionStatusName = keyof typeof DECISION_STATUS;

/** A status a decision may carry (1 requested … 5 cancelled). */
export type DecisionStatusCode = 1 | 2 | 3 | 4 | 5;

const STATUS_NAMES = Object.keys(DECISION_STATUS) as DecisionStatusName[];

/** The name of an on-chain status number; throws CONTRACTS_SUBSCRIPTION_DECISION_INVALID outside 0..5. */
export function decisionStatusName(code: number): DecisionStatusName {
  const name = STATUS_NAMES[code];
  if (!Number.isInteger(code) || name === undefined) throw new ValidationError('CONTRACTS_SUBSCRIPTION_DECISION_INVALID', 'status', 'an integer 0..5', code);
  return name;
}

export const SUBSCRIPTION_DOMAIN_NAME = 'LightNode SubscriptionRegistry';
export const SUBSCRIPTION_DOMAIN_VERSION = '1';

/** EIP-712 `encodeType` of Decision, exactly as the contract's DECISION_TYPEHASH. */
export const DECISION_TYPE = 'Decision(address provider,address consumer,string topic,uint8 status,uint256 nonce,uint64 deadline)';

/** Decision in the `{ name, type }[]` form of ethers, viem and eth_signTypedData_v4. */
export const DECISION_TYPES = {
  Decision: [
    { name: 'provider', type: 'address' },
    { name: 'consumer', type: 'address' },
    { name: 'topic', type: 'string' },
    { name: 'status', type: 'uint8' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

const EIP712_DOMAIN_FIELDS = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
] as const;

/** Longest topic the contract accepts, in UTF-8 bytes (`MAX_TOPIC_BYTES`). */
export const MAX_TOPIC_BYTES = 256;

/** One decision as signed: `nonce` the signer's `nonces()`, `deadline` the last chain second it may be recorded. */
export interface Decision {
  provider: Hex;
  consumer: Hex;
  topic: string;
  status: DecisionStatusCode;
  nonce: bigint;
  deadline: number;
}

/** The JSON `eth_signTypedData_v4` takes; numbers of the message as decimal strings (uint256 exceeds a JS number). */
export interface DecisionTypedData {
  types: { EIP712Domain: { name: string; type: string }[]; Decision: { name: string; type: string }[] };
  domain: { name: string; version: string; chainId: number; verifyingContract: Hex };
  primaryType: 'Decision';
  message: { provider: Hex; consumer: Hex; topic: string; status: string; nonce: string; deadline: string };
}

const utf8 = new TextEncoder();
const UINT64_MAX = (1n << 64n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;
const TYPEHASH = keccak256Short(utf8.encode(DECISION_TYPE));

/** The domain of the SubscriptionRegistry at `address` on `chainId`. Throws CONTRACTS_SUBSCRIPTION_DECISION_INVALID. */
export function subscriptionDomain(chainId: number, address: string): Eip712Domain {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new ValidationError('CONTRACTS_SUBSCRIPTION_DECISION_INVALID', 'chainId', 'a positive safe integer', chainId);
  return {
    name: SUBSCRIPTION_DOMAIN_NAME,
    version: SUBSCRIPTION_DOMAIN_VERSION,
    chainId,
    verifyingContract: normalizeAddress(address, 'verifyingContract', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID'),
  };
}

/** Checks a topic as the contract does (1..256 UTF-8 bytes); returns its bytes. */
function topicBytes(topic: unknown, field = 'topic'): Uint8Array {
  const bytes = typeof topic === 'string' ? utf8.encode(topic) : null;
  if (!bytes || bytes.length === 0 || bytes.length > MAX_TOPIC_BYTES) {
    throw new ValidationError('CONTRACTS_SUBSCRIPTION_DECISION_INVALID', field, `a string of 1..${MAX_TOPIC_BYTES} UTF-8 bytes`, topic);
  }
  return bytes;
}

/**
 * The decision validated and normalized (addresses lower-case): the checks a wallet could not
 * make sense of, not the contract's rules (nonce, deadline, transition stay the chain's).
 * Throws CONTRACTS_SUBSCRIPTION_DECISION_INVALID naming the field.
 */
export function checkDecision(d: Decision): Decision {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new ValidationError('CONTRACTS_SUBSCRIPTION_DECISION_INVALID', `decision.${field}`, expected, found);
  };
  if (typeof d !== 'object' || d === null) bad('', 'an object', d);
  const provider = normalizeAddress(d.provider, 'decision.provider', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID');
  const consumer = normalizeAddress(d.consumer, 'decision.consumer', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID');
  topicBytes(d.topic, 'decision.topic');
  if (!Number.isInteger(d.status) || d.status < 1 || d.status > 5) bad('status', 'an integer 1..5', d.status);
  if (typeof d.nonce !== 'bigint' || d.nonce < 0n || d.nonce > UINT256_MAX) bad('nonce', 'a bigint 0..2^256-1', d.nonce);
  if (!Number.isSafeInteger(d.deadline) || d.deadline < 0 || BigInt(d.deadline) > UINT64_MAX) bad('deadline', 'an integer of seconds >= 0', d.deadline);
  return { provider, consumer, topic: d.topic, status: d.status, nonce: d.nonce, deadline: d.deadline };
}

/** The typed data of `d` under `domain`, for `eth_signTypedData_v4` (and ethers' signTypedData without EIP712Domain). */
export function decisionTypedData(domain: Eip712Domain, d: Decision): DecisionTypedData {
  const c = checkDecision(d);
  return {
    types: { EIP712Domain: EIP712_DOMAIN_FIELDS.map((f) => ({ ...f })), Decision: DECISION_TYPES.Decision.map((f) => ({ ...f })) },
    domain: { name: domain.name, version: domain.version, chainId: domain.chainId, verifyingContract: domain.verifyingContract.toLowerCase() as Hex },
    primaryType: 'Decision',
    message: { provider: c.provider, consumer: c.consumer, topic: c.topic, status: String(c.status), nonce: c.nonce.toString(), deadline: String(c.deadline) },
  };
}

/** Big-endian 32-byte word of `v` at `out[off..off+32)`. */
function writeWord(out: Uint8Array, off: number, v: bigint): void {
  for (let i = 31; i >= 0 && v > 0n; i--, v >>= 8n) out[off + i] = Number(v & 0xffn);
}

/** Address (validated, 20 bytes) right-aligned in the 32-byte word at `off`. */
function writeAddress(out: Uint8Array, off: number, address: Hex): void {
  writeWord(out, off, BigInt(address));
}

/** keccak256(bytes(topic)), as the contract's topicHash. Throws CONTRACTS_SUBSCRIPTION_DECISION_INVALID for a bad topic. */
export function topicHash(topic: string): Hex {
  return bytesToHex(keccak256Short(topicBytes(topic)));
}

/** The EIP-712 digest of `d` under `domain`: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(d)). */
export function decisionDigest(domain: Eip712Domain, d: Decision): Hex {
  const c = checkDecision(d);
  const struct = new Uint8Array(7 * 32);
  struct.set(TYPEHASH, 0);
  writeAddress(struct, 32, c.provider);
  writeAddress(struct, 64, c.consumer);
  struct.set(keccak256Short(topicBytes(c.topic)), 96);
  writeWord(struct, 128, BigInt(c.status));
  writeWord(struct, 160, c.nonce);
  writeWord(struct, 192, BigInt(c.deadline));
  const buf = new Uint8Array(66);
  buf[0] = 0x19;
  buf[1] = 0x01;
  buf.set(domainSeparator(domain), 2);
  buf.set(keccak256Short(struct), 34);
  return bytesToHex(keccak256Short(buf));
}

/** The subscription key: keccak256(abi.encode(provider, consumer, keccak256(bytes(topic)))). */
export function subscriptionKey(provider: string, consumer: string, topic: string): Hex {
  const buf = new Uint8Array(96);
  writeAddress(buf, 0, normalizeAddress(provider, 'provider', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID'));
  writeAddress(buf, 32, normalizeAddress(consumer, 'consumer', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID'));
  buf.set(keccak256Short(topicBytes(topic)), 64);
  return bytesToHex(keccak256Short(buf));
}
