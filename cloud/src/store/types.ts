/**
 * The BAL store contract (DESIGN §4, §6). Every implementation (SQLite default, PostgreSQL for
 * production) passes the one contract suite in `cloud/test/store/store-contract.ts`.
 *
 * Invariants every implementation keeps:
 * - `(device, seq)` is unique: a resent identical reading is a duplicate, a different reading
 *   (other digest) under a stored `(device, seq)` is an equivocation — recorded as evidence,
 *   never replacing the stored one.
 * - `storeBatch` is one transaction: when it resolves, every `stored` reading is durable
 *   (the ack may be published); when it rejects, nothing of the batch was written.
 * - Reading ids are assigned by the store, strictly increasing in commit order.
 * - A reading belongs to at most one live anchor; its leaf index is its position in the
 *   `readingIds` passed to `recordAnchor` (= input order of `buildMerkleTree`).
 */

import type { Hex } from '@lightnode/shared/hex';
import type { SignedReading } from '@lightnode/shared/reading';
import type { AccessStore, SubscriptionStatus } from '../access/types.js';

/** A reading that passed verification, ready to store. */
export interface StoredReadingInput {
  reading: SignedReading;
  /** EIP-712 digest of the reading (the Merkle leaf), 0x + 64 hex, lower-case. */
  digest: Hex;
  /** Recovered signer = the PoD's device at the reading's time, lower-case address. */
  signer: Hex;
  /** When the BAL received it, ms since epoch. */
  receivedAtMs: number;
  /** `readingBody(reading)` when the caller already has it (the verify workers make it); else the store makes it. */
  body?: string;
}

/**
 * A data server's signed CIM message (issue 13 §4), kept whole: its readings' `source` is
 * `cim:<hash>`, their `device` the server's key, and a receipt carries the payload and signature
 * so a verifier re-derives the reading from what the server signed.
 */
export interface CimMessageRecord {
  /** keccak256 of the payload, lower-case. */
  hash: Hex;
  serverId: string;
  /** The server's key that signed it (recovered), lower-case. */
  signer: Hex;
  /** 65-byte r||s||v over the EIP-712 CimMessage digest. */
  signature: Hex;
  /** The exact payload bytes (XML or JSON). */
  payload: Uint8Array;
  receivedAtMs: number;
}

/** What happened to one input of `storeBatch`, aligned with the input array. */
export type StoreOutcome = 'stored' | 'duplicate' | 'equivocation';

export interface StoreBatchResult {
  /** Seqs stored by this call (convenience for single-device batches; see `outcomes`). */
  stored: number[];
  /** Seqs already stored with the same digest. */
  duplicate: number[];
  /** Seqs already stored with a different digest (evidence recorded, reading not stored). */
  equivocation: number[];
  /** One entry per input, same order — unambiguous when a batch mixes devices. */
  outcomes: StoreOutcome[];
  /** Store ids of the inputs: the new id when stored, the existing id for duplicate/equivocation. */
  ids: number[];
}

/**
 * Reading lifecycle: `pending` (stored, not yet in an anchor), `anchored` (in an anchor whose
 * transaction was sent), `confirmed` (the anchor's transaction has enough confirmations).
 */
export type ReadingStatus = 'pending' | 'anchored' | 'confirmed';
export const READING_STATUSES: readonly ReadingStatus[] = ['pending', 'anchored', 'confirmed'];

export interface StoredReading {
  id: number;
  pod: string;
  device: Hex;
  seq: number;
  timestampMs: number;
  receivedAtMs: number;
  digest: Hex;
  reading: SignedReading;
  status: ReadingStatus;
  /** On-chain anchor index, null while pending. */
  anchorIndex: number | null;
  /** Position of this reading among its anchor's leaves (input order), null while pending. */
  leafIndex: number | null;
}

export interface ReadingQuery {
  pod?: string;
  /** Inclusive lower bound on the reading's timestamp, ms since epoch. */
  fromMs?: number;
  /** Exclusive upper bound on the reading's timestamp, ms since epoch. */
  toMs?: number;
  status?: ReadingStatus;
  /** Restrict to these pods (consumer role); an empty array matches nothing. */
  pods?: string[];
  /** Cursor: only ids greater than this. */
  afterId?: number;
  /** Page size, 1..1000. */
  limit: number;
}

export interface ReadingPage {
  items: StoredReading[];
  /** Pass as `afterId` for the next page; null when this was the last page. */
  nextAfterId: number | null;
}

/** The anchored window as sent to ReadingAnchor.anchor(root, leafCount, fromMs, toMs). */
export interface AnchorWindow {
  /** On-chain anchor index (ReadingAnchor.anchorCount() before the transaction). */
  index: number;
  root: Hex;
  leafCount: number;
  fromMs: number;
  toMs: number;
  /** Hash of the previous anchor (chain of anchors), 0x00…00 for the first. */
  prevHash: Hex;
  /** Hash of this anchor as emitted by `Anchored`, if known. */
  anchorHash?: Hex | null;
}

export interface AnchorTxInfo {
  transaction: Hex;
  /** Block the transaction was mined in, null if only sent. */
  blockNumber: number | null;
}

export type AnchorStatus = 'sent' | 'confirmed';

export interface AnchorRecord extends AnchorWindow {
  transaction: Hex;
  blockNumber: number | null;
  anchorHash: Hex | null;
  status: AnchorStatus;
  createdAtMs: number;
  confirmedAtMs: number | null;
}

export interface AnchorReadingsQuery {
  /** First leaf index to return (inclusive); default 0. */
  fromLeaf?: number;
  /** At most this many, 1..1,000,000; default all. */
  limit?: number;
  /** Only readings of these pods (consumer role); an empty array matches nothing. */
  pods?: string[];
}

/** Everything a receipt needs besides deployment info (chainId, contracts). */
export interface ProofMaterial {
  reading: StoredReading;
  anchor: AnchorRecord;
  /** The anchor's leaves (reading digests) in leaf-index order; rebuild the tree from these. */
  leaves: Hex[];
  leafIndex: number;
}

/** Status message of a Light Node (docs/interfaces.md `Status`). */
export interface NodeStatusInput {
  pod: string;
  device: Hex;
  state: 'online' | 'offline';
  ts: number;
  lastSeq: number | null;
  spoolDepth: number;
  quarantined: number;
  agentVersion: string;
}

/**
 * Counters the ingest adds per PoD after each batch. `storeBatch` never touches them (it only
 * records equivocation evidence and refreshes last-seen), so nothing is counted twice.
 */
export interface NodeCounterDelta {
  /** Rejected readings; default: the sum of `rejectedByCode`. */
  rejected?: number;
  /**
   * Rejected readings by ack reason code (shared `ACK_REJECT_CODES`), added to the node's
   * per-code counts (kept across restarts, like every counter here).
   */
  rejectedByCode?: Record<string, number>;
  duplicates?: number;
  equivocations?: number;
}

export interface NodeRecord {
  pod: string;
  /** Device of the last status message or stored reading. */
  device: Hex | null;
  state: 'online' | 'offline' | 'unknown';
  /** Last time anything (status or stored reading) arrived from the node, ms. */
  lastSeenMs: number | null;
  /** `ts` of the last status message, ms. */
  lastStatusMs: number | null;
  /** Highest seq stored for the PoD's current device. */
  lastStoredSeq: number | null;
  /** lastSeq the node itself reported in its status. */
  reportedLastSeq: number | null;
  spoolDepth: number | null;
  quarantined: number | null;
  agentVersion: string | null;
  /** Readings stored for this PoD (all devices). */
  readings: number;
  /** Seqs currently missing: Σ over the PoD's devices of (max − min + 1 − count). */
  gaps: number;
  rejected: number;
  /** Rejected readings by ack reason code, codes with a count only, in code order. */
  rejectedByCode: Record<string, number>;
  duplicates: number;
  equivocations: number;
}

export interface NodeQuery {
  /** Restrict to these pods (consumer role); an empty array matches nothing. */
  pods?: string[];
  /** Cursor: only pods after this one. */
  afterPod?: string;
  /** Page size, 1..1000; default 1000. */
  limit?: number;
  /** Only nodes whose PoD (upper-cased) or device (lower-cased) contains this; 1..42 letters and digits. */
  search?: string;
}

export interface StoreCounts {
  readings: number;
  pending: number;
  anchors: number;
  equivocations: number;
}

/**
 * The BAL store. All methods are async; implementations serialise writes as they need. It is
 * also the AccessStore (users, streams, subscriptions, sessions: docs/data-access.md), so the
 * BAL keeps one connection, one transaction discipline and one config section for both.
 */
export interface BalStore extends AccessStore {
  readonly kind: 'sqlite' | 'postgres';

  /** Store verified readings in ONE transaction, deduplicating on (device, seq). */
  storeBatch(verified: StoredReadingInput[]): Promise<StoreBatchResult>;

  /**
   * Store a data server's message and its readings in ONE transaction, all or nothing: when any
   * input is an equivocation nothing is written (the outcomes still say which). A re-sent
   * message is all duplicates (the message row is kept once).
   */
  storeCimMessage(message: CimMessageRecord, readings: StoredReadingInput[]): Promise<StoreBatchResult>;
  /** A stored CIM message by payload hash, null if unknown. */
  cimMessage(hash: Hex): Promise<CimMessageRecord | null>;

  readingById(id: number): Promise<StoredReading | null>;
  readingByDeviceSeq(device: Hex, seq: number): Promise<StoredReading | null>;
  /** Paged by id ascending. */
  listReadings(q: ReadingQuery): Promise<ReadingPage>;
  /** Highest stored seq of a device, null if none (for gap accounting on arrival). */
  lastSeqOfDevice(device: Hex): Promise<number | null>;

  /** Oldest `pending` readings (ascending id), for the next anchor window. */
  pendingForAnchoring(limit: number): Promise<StoredReading[]>;
  /**
   * Record an anchor whose transaction was sent: readings move to `anchored` with leaf index
   * = position in `readingIds`. Throws `BAL_STORE_CONFLICT` if a reading is not pending or
   * the index/transaction already exists (nothing written then).
   */
  recordAnchor(window: AnchorWindow, readingIds: number[], tx: AnchorTxInfo, fence?: LeaseFence): Promise<AnchorRecord>;
  /** Mark the anchor of `transaction` confirmed (its readings → `confirmed`). Idempotent. */
  confirmAnchor(transaction: Hex, info: { blockNumber: number; anchorHash?: Hex | null }, fence?: LeaseFence): Promise<AnchorRecord | null>;
  /** Drop an anchor whose transaction failed/was dropped; its readings return to `pending`. */
  abandonAnchor(transaction: Hex, fence?: LeaseFence): Promise<boolean>;
  /**
   * Take or renew the lease `name` for `holder` for `ttlMs` (store clock: the database's for
   * PostgreSQL). Granted when the lease is free, expired or already the holder's; a takeover (any
   * grant but an unexpired renewal) increments the epoch, the fencing token. Null when another
   * holder's lease is still running.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null>;
  /** Give the lease up now (when `holder` holds it) so another candidate takes over at once. */
  releaseLease(name: string, holder: string): Promise<boolean>;
  /** The lease row, null if never taken. */
  readLease(name: string): Promise<LeaseState | null>;
  anchorByTransaction(transaction: Hex): Promise<AnchorRecord | null>;
  anchorByIndex(index: number): Promise<AnchorRecord | null>;
  /** Highest-index anchor (chain tip for prevHash), null if none. */
  latestAnchor(): Promise<AnchorRecord | null>;
  /** Anchors in status `sent`, ascending index (to track confirmations after restart). */
  unconfirmedAnchors(): Promise<AnchorRecord[]>;
  /** Readings of an anchor in leaf order; optionally from a leaf index, limited, restricted to pods. */
  readingsOfAnchor(index: number, opts?: AnchorReadingsQuery): Promise<StoredReading[]>;
  /** The anchor's leaves (reading digests) in leaf order. */
  anchorLeaves(index: number): Promise<Hex[]>;
  /** Reading + its anchor + the anchor's leaves; null if the reading is unknown or pending. */
  proofMaterial(readingId: number): Promise<ProofMaterial | null>;

  /** Upsert the node table from a Status message. */
  recordNodeStatus(status: NodeStatusInput, receivedAtMs: number): Promise<void>;
  /** Add to a node's counters (creates the node row if needed). */
  addNodeCounters(pod: string, delta: NodeCounterDelta): Promise<void>;
  nodeByPod(pod: string): Promise<NodeRecord | null>;
  /** Nodes ascending by PoD. */
  listNodes(q?: NodeQuery): Promise<NodeRecord[]>;
  /**
   * Nodes whose row changed through `recordNodeStatus` or `addNodeCounters` after `afterMs` (store
   * clock: the database's for PostgreSQL), ascending time, at most `limit` (the live view of an
   * instance that did not make the change: events/store-feed.ts).
   */
  nodeChanges(afterMs: number, limit: number): Promise<{ pod: string; changedMs: number }[]>;
  /**
   * Where a live feed starts: the highest reading id, the latest `nodeChanges` time and the highest
   * subscription event id (each 0 when none).
   */
  liveFeedStart(): Promise<{ maxReadingId: number; lastNodeChangeMs: number; maxSubscriptionEventId: number }>;
  /**
   * Subscription decisions stored after the event id `afterId`, ascending, at most `limit`, with
   * the topic's PoD and the usernames of consumer and producer (the live view of an instance that
   * did not certify them).
   */
  subscriptionEventsAfter(afterId: number, limit: number): Promise<{ eventId: number; id: number; topic: string; pod: string; consumer: string; producer: string; status: SubscriptionStatus }[]>;
  /** Rejected readings of all nodes by ack reason code (Σ of the nodes' `rejectedByCode`). */
  rejectionsByCode(): Promise<Record<string, number>>;

  counts(): Promise<StoreCounts>;

  // Retention (cloud/src/retention, cloud/README.md "Retention"): days of arrival are exported to
  // archives, then removed; nothing that is not confirmed is ever removed.
  /** Days of arrival (UTC) with readings received before `beforeMs`, oldest first. */
  retentionDays(beforeMs: number): Promise<RetentionDay[]>;
  /** Readings received on the UTC day starting at `dayMs`, by id ascending, after `afterId`. */
  readingsOfDay(dayMs: number, afterId: number, limit: number): Promise<StoredReading[]>;
  /**
   * Remove the day's readings that its complete archive holds (`plan`), never one that is not
   * confirmed: records the day (`archived_days`, state `pruning`), its (device, seq) runs and the
   * leaves of anchors split by it first, then deletes (PostgreSQL: drops the day's partition when
   * it holds exactly the archived readings; SQLite: batched deletes), then marks it `pruned` when
   * none is left. Safe to repeat after a crash.
   */
  pruneDay(plan: PrunePlan, opts?: PruneOptions): Promise<PruneResult>;
  /** Days archived, oldest first. */
  archivedDays(): Promise<ArchivedDay[]>;
  /** The archived day whose id range holds `id` (for a reading no longer in the store), or null. */
  archivedDayOfReading(id: number): Promise<ArchivedDay | null>;
  /** Put archived readings back with their ids, statuses and leaf positions; rows already present are left. */
  restoreReadings(rows: StoredReading[]): Promise<{ restored: number; present: number }>;

  /**
   * Run `fn` holding the lock `name` against every instance on this store (PostgreSQL: a session
   * advisory lock on a connection of its own; SQLite: within this process). For what must not run
   * twice at once across instances, e.g. the relay account's transactions (their nonces).
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Cheap liveness check for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A UTC day of arrival with readings, as retention sees it (`retentionDays`). */
export interface RetentionDay {
  /** Start of the UTC day, ms since epoch. */
  dayMs: number;
  readings: number;
  /** Readings of the day not yet `confirmed` (the day is not archived while > 0). */
  unconfirmed: number;
}

/** A day whose readings were archived (`state: 'pruning'` while its removal is under way). */
export interface ArchivedDay {
  dayMs: number;
  readings: number;
  minId: number;
  maxId: number;
  /** sha256 of the day's archive file (its manifest names it). */
  sha256: string;
  state: 'pruning' | 'pruned';
  archivedAtMs: number;
}

/** What `pruneDay` may remove: the content of the day's complete archive. */
export interface PrunePlan {
  dayMs: number;
  sha256: string;
  /** Every archived reading of the day: a store row goes only if listed here with the same digest. */
  records: { id: number; digest: Hex; anchorIndex: number }[];
  /** Exact runs of consecutive seqs per device held by the archive (dedup after removal). */
  ranges: { device: Hex; minSeq: number; maxSeq: number }[];
}

export interface PruneResult {
  /** Readings removed by this call. */
  deleted: number;
  /** Readings of the day still in the store (not in the archive, or not confirmed). */
  remaining: number;
}

export interface PruneOptions {
  /** SQLite: readings per delete transaction (default 500); between two, the event loop runs. */
  batchSize?: number;
  /** Called after each delete batch with the readings it removed (progress; tests stop here). */
  onBatch?: (deleted: number) => void | Promise<void>;
}

/** Which store to open (config `store`). */
export type StoreConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number; connectTimeoutMs?: number; queryTimeoutMs?: number };

/**
 * The epoch a write claims: anchoring writes (recordAnchor, confirmAnchor, abandonAnchor) given a
 * fence check, in their transaction, that the lease still has this epoch, and fail
 * `BAL_LEASE_FENCED` (nothing written) when another holder took it over since.
 */
export interface LeaseFence { name: string; epoch: number }
/** A granted lease: the epoch (fencing token) and when it ends on the store clock. */
export interface LeaseGrant { epoch: number; expiresAtMs: number; takenOver: boolean }
export interface LeaseState { name: string; holder: string; epoch: number; expiresAtMs: number }
