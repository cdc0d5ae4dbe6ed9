/**
 * Data access management (docs/data-access.md): the model and the interfaces between its parts.
 * The store (AccessStore), the chain (DecisionCertifier) and the broker (AccessEnforcer) are
 * injected into the service (service.ts), so each has one contract test suite.
 */
import type { Hex } from '@lightnode/shared/hex';

export type UserRole = 'admin' | 'producer' | 'consumer';
export const USER_ROLES: readonly UserRole[] = ['admin', 'producer', 'consumer'];

export type SubscriptionStatus = 'requested' | 'accepted' | 'refused' | 'revoked' | 'cancelled';
export const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = ['requested', 'accepted', 'refused', 'revoked', 'cancelled'];

export type SubscriptionAction = 'request' | 'accept' | 'refuse' | 'revoke' | 'cancel';
export const SUBSCRIPTION_ACTIONS: readonly SubscriptionAction[] = ['request', 'accept', 'refuse', 'revoke', 'cancel'];

/** On-chain status numbers (SubscriptionRegistry `Status`). */
export const STATUS_CODE: Readonly<Record<SubscriptionStatus, number>> = { requested: 1, accepted: 2, refused: 3, revoked: 4, cancelled: 5 };

/** A user as stored (D2.12 Table 1). `passwordHash` never leaves the store layer in API answers. */
export interface UserRecord {
  id: number;
  username: string;
  role: UserRole;
  /** scrypt hash (passwords.ts). */
  passwordHash: string;
  /** Lower-case wallet address, unique. */
  wallet: Hex;
  /** `custodial`: the BAL keeps the key (encryptedKey set); `external`: bring-your-own address. */
  custody: 'custodial' | 'external';
  /** AES-256-GCM ciphertext of the custodial key (wallets.ts), null for `external`. */
  encryptedKey: string | null;
  enabled: boolean;
  createdAtMs: number;
  updatedAtMs: number;
}

/** What creating a user takes: the stored record without what the store assigns. */
export type NewUser = Pick<UserRecord, 'username' | 'role' | 'passwordHash' | 'wallet' | 'custody' | 'encryptedKey'>;

/** A producer's stream: one PoD's certified readings on one topic. */
export interface StreamRecord { topic: string; pod: string; producerId: number; createdAtMs: number }

/** One subscription (D2.12 Table 2): one per (consumer, topic). */
export interface SubscriptionRecord {
  id: number;
  consumerId: number;
  topic: string;
  status: SubscriptionStatus;
  createdAtMs: number;
  updatedAtMs: number;
  /** The last certified decision's transaction and block (null only while none was certified). */
  transaction: Hex | null;
  block: number | null;
}

/** One transition in a subscription's history. */
export interface SubscriptionEvent {
  subscriptionId: number;
  action: SubscriptionAction;
  from: SubscriptionStatus | null;
  to: SubscriptionStatus;
  actorId: number;
  atMs: number;
  transaction: Hex;
  block: number;
}

/** A login session: only the SHA-256 of the bearer token is stored. */
export interface SessionRecord { tokenHash: string; userId: number; expiresAtMs: number }

/**
 * Persistence of users, streams, subscriptions and sessions; SQLite and PostgreSQL implement it
 * as part of BalStore (store/types.ts), one contract suite (cloud/test/access/access-store-contract.ts).
 * Malformed arguments (ids, enums, addresses, times) are BAL_STORE_INVALID naming the field.
 */
export interface AccessStore {
  /**
   * Throws BAL_ACCESS_USER_EXISTS for a taken username (compared case-insensitively) or wallet,
   * `details.field` naming which. The wallet is stored lower-case; a new user is enabled.
   */
  createUser(u: NewUser, nowMs: number): Promise<UserRecord>;
  userById(id: number): Promise<UserRecord | null>;
  userByName(username: string): Promise<UserRecord | null>;
  userByWallet(wallet: Hex): Promise<UserRecord | null>;
  /** Ascending id. */
  listUsers(q?: { role?: UserRole }): Promise<UserRecord[]>;
  /** Throws BAL_ACCESS_USER_UNKNOWN for an unknown id. */
  setPassword(userId: number, passwordHash: string, nowMs: number): Promise<void>;
  /** Throws BAL_ACCESS_USER_UNKNOWN for an unknown id. Sessions are the caller's to end (deleteSessionsOf). */
  setEnabled(userId: number, enabled: boolean, nowMs: number): Promise<void>;

  /**
   * Throws BAL_ACCESS_TOPIC_EXISTS when the topic already has a producer, BAL_ACCESS_USER_UNKNOWN
   * for an unknown producerId (the producer's role is the service's to check).
   */
  createStream(s: { topic: string; pod: string; producerId: number }, nowMs: number): Promise<StreamRecord>;
  streamByTopic(topic: string): Promise<StreamRecord | null>;
  /** Ascending topic. */
  listStreams(q?: { producerId?: number }): Promise<StreamRecord[]>;

  subscriptionById(id: number): Promise<SubscriptionRecord | null>;
  subscriptionOf(consumerId: number, topic: string): Promise<SubscriptionRecord | null>;
  /** Every given filter applies (producerId: the stream's owner); ascending id. */
  listSubscriptions(q?: { consumerId?: number; topic?: string; producerId?: number; status?: SubscriptionStatus }): Promise<SubscriptionRecord[]>;
  /**
   * Apply one certified transition atomically: create the subscription (from = null) or move it
   * from `from` to `event.to`, and append the event. Throws BAL_STORE_CONFLICT when the stored
   * status is no longer `from` (a concurrent decision won; `from` null: a subscription exists),
   * BAL_ACCESS_USER_UNKNOWN / BAL_ACCESS_TOPIC_UNKNOWN for an unknown consumer, actor or topic.
   * Whether the transition is allowed is transitions.ts's decision, not the store's.
   */
  applyTransition(t: { consumerId: number; topic: string; event: Omit<SubscriptionEvent, 'subscriptionId'> }): Promise<SubscriptionRecord>;
  /** In the order applied (append-only: the stores refuse UPDATE and DELETE on it). */
  historyOf(subscriptionId: number): Promise<SubscriptionEvent[]>;
  /**
   * Topics with an accepted subscription, per consumer username (broker reconciliation), of
   * enabled consumers only; ordered by username, topic.
   */
  acceptedGrants(): Promise<{ username: string; topic: string }[]>;

  /** Throws BAL_ACCESS_USER_UNKNOWN for an unknown user, BAL_STORE_CONFLICT for a hash already stored. */
  createSession(s: SessionRecord): Promise<void>;
  /** Null when unknown or expired (expiresAtMs <= nowMs); expired sessions are purged now and then. */
  sessionByTokenHash(tokenHash: string, nowMs: number): Promise<SessionRecord | null>;
  deleteSession(tokenHash: string): Promise<void>;
  deleteSessionsOf(userId: number): Promise<void>;

  /**
   * Failed logins (login-limiter.ts), shared by every API instance on the store. `key` names one
   * window (`user:<name>` or `addr:<address>`). Records a failure at `atMs` and forgets the key's
   * failures at or before `forgetBeforeMs` (and, now and then, every key's).
   */
  addLoginFailure(key: string, atMs: number, forgetBeforeMs: number): Promise<void>;
  /** The key's failure times after `sinceMs`, ascending: the latest `limit` of them. */
  loginFailures(key: string, sinceMs: number, limit: number): Promise<number[]>;
  /** Forget the key's failures (a successful login). */
  clearLoginFailures(key: string): Promise<void>;

  /**
   * One-use tickets of the live event stream (api/event-stream.ts), shared by every API instance:
   * `POST /api/events/ticket` on one may open `GET /api/events` on another. `principal` says
   * whose (a config client's name or a session's token hash, never a token). Throws
   * BAL_STORE_CONFLICT for a hash already stored.
   */
  createEventTicket(t: { ticketHash: string; principal: string; expiresAtMs: number }): Promise<void>;
  /** Take the ticket (deleted: single use, expired or not); its principal, or null when unknown or expired. */
  takeEventTicket(ticketHash: string, nowMs: number): Promise<string | null>;
  /** Unused live tickets (the cap on outstanding tickets). */
  countEventTickets(nowMs: number): Promise<number>;
}

/** A decision as signed (EIP-712 `Decision`) and relayed. */
export interface DecisionMessage {
  provider: Hex;
  consumer: Hex;
  topic: string;
  status: SubscriptionStatus;
  nonce: bigint;
  /** Seconds since epoch after which the contract refuses the signature. */
  deadline: number;
}

/** Where a certified decision landed. */
export interface CertifiedDecision { transaction: Hex; block: number; timestampSec: number }

/** One subscription as recorded on chain (SubscriptionRegistry `subscriptionsOfTopic`). */
export interface CertifiedSubscription {
  provider: Hex;
  consumer: Hex;
  topic: string;
  status: SubscriptionStatus;
  /** Block timestamps (seconds since epoch) of the first and the latest decision. */
  createdAtSec: number;
  updatedAtSec: number;
  /** The transaction and block of the latest decision (its DecisionRecorded log); null when the log was not found. */
  transaction: Hex | null;
  block: number | null;
}

/** The chain side (SubscriptionRegistry); the BAL's relay account pays gas. */
export interface DecisionCertifier {
  /** Register (or move) a topic's provider wallet; idempotent. */
  setTopicProvider(topic: string, provider: Hex): Promise<CertifiedDecision | null>;
  /** The signer's next nonce. */
  nonceOf(signer: Hex): Promise<bigint>;
  /** Relay a signed decision; contract refusals become coded errors (BAL_ACCESS_CHAIN_REFUSED …). */
  record(decision: DecisionMessage, signature: Hex): Promise<CertifiedDecision>;
  /**
   * The topic's subscriptions as the chain holds them (`subscriptionsOfTopic`), for
   * `GET /api/certification/{topic}` and for relaying decisions the chain does not hold yet.
   */
  certifiedOfTopic(topic: string): Promise<CertifiedSubscription[]>;
  /** EIP-712 typed data of a decision (for bring-your-own wallets and custodial signing). */
  typedData(decision: DecisionMessage): { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; primaryType: 'Decision'; message: Record<string, unknown> };
}

/** The broker side: accounts of data users and the grants that follow accepted subscriptions. */
export interface AccessEnforcer {
  /** Create or update a data user's broker account (password given on create and on change only). */
  upsertUser(u: { username: string; role: UserRole; password?: string; enabled: boolean }): Promise<void>;
  grant(username: string, topic: string): Promise<void>;
  revoke(username: string, topic: string): Promise<void>;
  /** Make the broker's grants equal to `grants` (at start and after a broker reconnect). */
  reconcile(grants: readonly { username: string; topic: string }[]): Promise<void>;
  close(): Promise<void>;
}
