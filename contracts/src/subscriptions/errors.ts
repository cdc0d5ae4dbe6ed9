/**
 * The SubscriptionRegistry's custom errors and their LightNodeError codes, one each
 * (docs/data-access.md "Error codes": contract errors map 1:1 to CONTRACTS_SUBSCRIPTION_*).
 * Ethers-free, so a caller can map the codes to its own (the BAL to BAL_ACCESS_*) without the client.
 */
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import type { DecodedRevert } from '../revert.js';

/** Custom error name → code. test/subscription-abi.test.ts checks it names every error of the contract. */
export const SUBSCRIPTION_ERROR_CODES = {
  InvalidSignature: 'CONTRACTS_SUBSCRIPTION_INVALID_SIGNATURE',
  NonceMismatch: 'CONTRACTS_SUBSCRIPTION_NONCE_MISMATCH',
  DecisionExpired: 'CONTRACTS_SUBSCRIPTION_DECISION_EXPIRED',
  TopicUnknown: 'CONTRACTS_SUBSCRIPTION_TOPIC_UNKNOWN',
  NotTopicProvider: 'CONTRACTS_SUBSCRIPTION_NOT_TOPIC_PROVIDER',
  SelfSubscription: 'CONTRACTS_SUBSCRIPTION_SELF_SUBSCRIPTION',
  WrongSigner: 'CONTRACTS_SUBSCRIPTION_WRONG_SIGNER',
  InvalidTransition: 'CONTRACTS_SUBSCRIPTION_INVALID_TRANSITION',
  ZeroAddress: 'CONTRACTS_SUBSCRIPTION_ZERO_ADDRESS',
  NotTopicAdmin: 'CONTRACTS_SUBSCRIPTION_NOT_TOPIC_ADMIN',
  InvalidStatus: 'CONTRACTS_SUBSCRIPTION_INVALID_STATUS',
  InvalidTopic: 'CONTRACTS_SUBSCRIPTION_INVALID_TOPIC',
} as const satisfies Record<string, ErrorCode>;

/** A custom error of the SubscriptionRegistry (not the inherited AccessControl ones). */
export type SubscriptionErrorName = keyof typeof SUBSCRIPTION_ERROR_CODES;

/** The code of a decoded revert, or null when it is not one of the registry's own errors. */
export function subscriptionErrorCode(name: string): ErrorCode | null {
  return Object.hasOwn(SUBSCRIPTION_ERROR_CODES, name) ? SUBSCRIPTION_ERROR_CODES[name as SubscriptionErrorName] : null;
}

/** Argument values as JSON-safe text (bigint → decimal string). */
const plain = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v : String(v));

/**
 * The LightNodeError for a decoded revert (`details: { error, args }`, the ethers error as `cause`),
 * or null when the revert is not one of the registry's own errors.
 */
export function subscriptionError(fn: string, revert: DecodedRevert, cause: unknown): LightNodeError | null {
  const code = subscriptionErrorCode(revert.name);
  if (!code) return null;
  const args = revert.args.map(plain);
  return new LightNodeError(code, `SubscriptionRegistry.${fn} refused: ${revert.name}(${args.join(', ')})`, { error: revert.name, args }, { cause });
}
