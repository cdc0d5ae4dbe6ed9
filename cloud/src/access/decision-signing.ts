/**
 * Decision signatures and input checks of the data-access service (service.ts): a custodial
 * wallet's EIP-712 signature made with its unlocked key, a bring-your-own signature checked to
 * recover to the user's wallet before anything is relayed, and the boundary checks of PoDs,
 * wallet addresses and topics. Every failure is a coded refusal.
 */
import { Wallet, verifyTypedData } from 'ethers';
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import { bytesToHex, type Hex } from '@lightnode/shared/hex';
import { POD_RE } from '@lightnode/shared/reading';
import { parseCertifiedTopic } from '@lightnode/shared/topics';
import { unlock } from './wallets.js';
import type { DecisionCertifier, DecisionMessage, UserRecord } from './types.js';

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const SIGNATURE_RE = /^0x[0-9a-fA-F]{130}$/;

export const refuse = (code: ErrorCode, message: string, details: Record<string, unknown> = {}): LightNodeError => new LightNodeError(code, message, details);
export const invalid = (field: string, expected: string): LightNodeError => refuse('BAL_ACCESS_USER_INVALID', `${field}: expected ${expected}`, { field });

/** The typed data of `msg` in the form ethers signs and verifies (without EIP712Domain). */
function ethersTypedData(certifier: DecisionCertifier, msg: DecisionMessage) {
  const td = certifier.typedData(msg);
  const { EIP712Domain: _omit, ...types } = td.types;
  return { domain: td.domain, types, message: td.message };
}

/** Sign `msg` with a custodial user's key (unlocked for this signature only). */
export async function signCustodial(certifier: DecisionCertifier, masterKey: Uint8Array, signer: UserRecord, msg: DecisionMessage): Promise<Hex> {
  if (!signer.encryptedKey) throw refuse('BAL_ACCESS_WALLET_KEY', `${signer.username} has no custodial key`);
  const key = unlock(masterKey, signer.encryptedKey, signer.wallet);
  try {
    const td = ethersTypedData(certifier, msg);
    return (await new Wallet(bytesToHex(key)).signTypedData(td.domain, td.types, td.message)) as Hex;
  } finally { key.fill(0); }
}

/** A bring-your-own signature of exactly `msg` (its nonce and deadline) by the signer's wallet; else BAL_ACCESS_SIGNATURE_INVALID. */
export function checkSignature(certifier: DecisionCertifier, signer: UserRecord, msg: DecisionMessage, signature: unknown): Hex {
  if (typeof signature !== 'string' || !SIGNATURE_RE.test(signature)) throw refuse('BAL_ACCESS_SIGNATURE_INVALID', 'signature: expected 65 bytes as 0x-prefixed hex', { field: 'signature' });
  const td = ethersTypedData(certifier, msg);
  let recovered: string;
  try { recovered = verifyTypedData(td.domain, td.types, td.message, signature); } catch {
    throw refuse('BAL_ACCESS_SIGNATURE_INVALID', 'signature does not recover', { field: 'signature' });
  }
  if (recovered.toLowerCase() !== signer.wallet) {
    throw refuse('BAL_ACCESS_SIGNATURE_INVALID', `signature is not ${signer.username}'s on this decision (nonce ${msg.nonce}, deadline ${msg.deadline})`, { field: 'signature' });
  }
  return signature.toLowerCase() as Hex;
}

/** Distinct PoD codes. */
export function checkPods(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > 1000) throw invalid('pods', 'an array of PoD codes');
  for (const p of v) if (typeof p !== 'string' || !POD_RE.test(p)) throw invalid('pods', 'PoD codes like IT001E12345678');
  if (new Set(v).size !== v.length) throw invalid('pods', 'distinct PoD codes');
  return v as string[];
}

/** A wallet address of a request body (lower-cased). */
export function checkAddress(v: unknown, field: string): Hex {
  if (typeof v !== 'string' || !ADDRESS_RE.test(v)) throw refuse('BAL_ACCESS_USER_INVALID', `${field}: expected a 0x-prefixed 20-byte address`, { field });
  return v.toLowerCase() as Hex;
}

/** A certified stream topic (`certified/v1/{pod}/readings`). */
export function checkTopic(v: unknown): string {
  if (typeof v !== 'string' || !parseCertifiedTopic(v)) throw refuse('BAL_ACCESS_TOPIC_UNKNOWN', `topic: expected certified/v1/{pod}/readings`, { field: 'topic' });
  return v;
}

