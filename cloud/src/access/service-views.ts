/**
 * What the data-access service hands out (docs/data-access.md): users without their password
 * hash or key, subscriptions with both parties' names and wallets, history entries, the
 * consumer's producer list (D2.12 Figure 4) and the seed's certified subscription.
 */
import type { Hex } from '@lightnode/shared/hex';
import type { SubscriptionAction, SubscriptionStatus, UserRecord, UserRole } from './types.js';

/** A user as the service and the API show it: never the password hash nor the custodial key. */
export interface AccessUser {
  id: number;
  username: string;
  role: UserRole;
  wallet: Hex;
  custody: 'custodial' | 'external';
  enabled: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  /** A producer's PoDs (one stream each); empty for other roles. */
  pods: string[];
}

export interface SubscriptionView {
  id: number;
  consumer: string;
  consumerWallet: Hex;
  producer: string;
  providerWallet: Hex;
  topic: string;
  pod: string;
  status: SubscriptionStatus;
  createdAtMs: number;
  updatedAtMs: number;
  /** The latest certified decision's transaction and block. */
  transaction: Hex | null;
  block: number | null;
}

export interface SubscriptionEventView {
  action: SubscriptionAction;
  from: SubscriptionStatus | null;
  to: SubscriptionStatus;
  actor: string;
  atMs: number;
  transaction: Hex;
  block: number;
}

/** One row of the consumer's producer list: producer, topic, wallet and the caller's own status. */
export interface ProducerRow {
  producer: string;
  wallet: Hex;
  topic: string;
  pod: string;
  /** The calling consumer's subscription status on this topic, null when it has none (or is no consumer). */
  status: SubscriptionStatus | null;
}

/** The seed's certified subscription (D2.13 §2.1.3). */
export interface CertificationView {
  provider: Hex;
  consumer: Hex;
  topic: string;
  status: SubscriptionStatus;
  /** Block timestamp of the latest certified decision, seconds since epoch. */
  timestamp: number;
  transaction: Hex | null;
  block: number | null;
}

/** Typed data a bring-your-own wallet signs (`eth_signTypedData_v4`), with the nonce and deadline it must carry. */
export interface DecisionTypedData {
  signer: Hex;
  nonce: string;
  deadline: number;
  typedData: { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; primaryType: 'Decision'; message: Record<string, unknown> };
}

/** A bring-your-own wallet's signature of a decision and the deadline it signed. */
export interface SignedDecision { signature: Hex; deadline: number }

export function userView(u: UserRecord, pods: readonly string[]): AccessUser {
  return {
    id: u.id, username: u.username, role: u.role, wallet: u.wallet, custody: u.custody, enabled: u.enabled,
    createdAtMs: u.createdAtMs, updatedAtMs: u.updatedAtMs, pods: [...pods],
  };
}

/** Make a typed-data message JSON-safe: bigints as decimal strings (as eth_signTypedData_v4 accepts them). */
export function jsonSafe(v: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'bigint' ? x.toString() : x]));
}
