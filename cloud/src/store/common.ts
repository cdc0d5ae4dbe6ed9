/**
 * Pieces shared by the store implementations: error codes, argument checks, the per-batch
 * bookkeeping (which inputs repeat inside the batch, node counters to add) and row mapping.
 * Pure: no database here.
 */
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import type {
  AnchorRecord, AnchorStatus, ArchivedDay, CimMessageRecord, NodeCounterDelta, NodeRecord, PrunePlan, ReadingStatus, StoreBatchResult, StoredReading,
  StoredReadingInput,
} from './types.js';
import type { Hex } from '@lightnode/shared/hex';
import type { SignedReading } from '@lightnode/shared/reading';

/** A write would break an invariant (reading not pending, anchor index/transaction exists). */
export const BAL_STORE_CONFLICT = 'BAL_STORE_CONFLICT';
/** An argument to a store method is out of range. */
export const BAL_STORE_INVALID = 'BAL_STORE_INVALID';

/** Named mutexes within this process (`withLock` of a store): waiters run one after the other. */
export function createProcessLocks(): { run<T>(name: string, fn: () => Promise<T>): Promise<T> } {
  const tails = new Map<string, Promise<void>>();
  return {
    async run(name, fn) {
      const prev = tails.get(name) ?? Promise.resolve();
      const run = prev.then(fn);
      const tail = run.then(() => undefined, () => undefined);
      tails.set(name, tail);
      try { return await run; } finally { if (tails.get(name) === tail) tails.delete(name); }
    },
  };
}

/** An anchoring write claimed a lease epoch that another holder has since replaced. */
export const BAL_LEASE_FENCED = 'BAL_LEASE_FENCED';

export const MAX_PAGE = 1000;

export function fenced(fence: { name: string; epoch: number }, current: number | null): LightNodeError {
  return new LightNodeError(BAL_LEASE_FENCED, `lease ${fence.name}: epoch ${fence.epoch} was replaced (now ${current ?? 'none'}); write refused`, { lease: fence.name, epoch: fence.epoch, current });
}

/** Check a lease request (same rules in every implementation). */
export function checkLeaseArgs(name: string, holder: string, ttlMs: number): void {
  if (!/^[\w.:-]{1,64}$/.test(name)) throw new ValidationError(BAL_STORE_INVALID, 'lease.name', '[\\w.:-]{1,64}', name);
  if (holder.length < 1 || holder.length > 200) throw new ValidationError(BAL_STORE_INVALID, 'lease.holder', '1..200 characters', holder);
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > 3_600_000) throw new ValidationError(BAL_STORE_INVALID, 'lease.ttlMs', 'integer 1..3600000', ttlMs);
}

export function conflict(message: string, details: Record<string, unknown> = {}): LightNodeError {
  return new LightNodeError(BAL_STORE_CONFLICT, message, details);
}

export function checkLimit(limit: number, field = 'limit', max = MAX_PAGE): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) throw new ValidationError(BAL_STORE_INVALID, field, `integer 1..${max}`, limit);
  return limit;
}

export function checkId(n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new ValidationError(BAL_STORE_INVALID, field, 'safe integer >= 0', n);
  return n;
}

/** `(device, seq)` key of a reading. */
export function keyOf(device: string, seq: number): string { return `${device}:${seq}`; }

/** Per-batch aggregates applied to the node tables after the inserts. */
export interface DeviceAgg { device: Hex; pod: string; count: number; minSeq: number; maxSeq: number }
export interface PodAgg { pod: string; device: Hex; lastSeenMs: number }

export class BatchBook {
  readonly devices = new Map<string, DeviceAgg>();
  readonly pods = new Map<string, PodAgg>();

  private pod(input: StoredReadingInput): PodAgg {
    const pod = input.reading.pod;
    let p = this.pods.get(pod);
    if (!p) { p = { pod, device: input.signer, lastSeenMs: input.receivedAtMs }; this.pods.set(pod, p); }
    if (input.receivedAtMs >= p.lastSeenMs) { p.lastSeenMs = input.receivedAtMs; p.device = input.signer; }
    return p;
  }

  stored(input: StoredReadingInput): void {
    this.pod(input);
    // A data server's readings have no device sequence (seq is derived from the message time,
    // import-map.ts): the per-device tables (a node's reading count and gaps) are Light Nodes' only.
    if (isCimInput(input)) return;
    const seq = input.reading.seq;
    const d = this.devices.get(input.signer);
    if (!d) this.devices.set(input.signer, { device: input.signer, pod: input.reading.pod, count: 1, minSeq: seq, maxSeq: seq });
    else { d.count++; if (seq < d.minSeq) d.minSeq = seq; if (seq > d.maxSeq) d.maxSeq = seq; }
  }
  // Duplicates and equivocations only refresh last-seen: the node counters are the ingest's
  // (addNodeCounters), so a reading is never counted twice.
  duplicate(input: StoredReadingInput): void { this.pod(input); }
  equivocation(input: StoredReadingInput): void { this.pod(input); }
}

/** True for a reading imported from a data server's CIM message. */
export function isCimInput(input: StoredReadingInput): boolean {
  return input.reading.source.startsWith('cim:');
}

/** Thrown inside a transaction to roll it back and still answer with the outcomes. */
export class RollbackWith<T> {
  constructor(readonly value: T) {}
}

/**
 * A NEW data-server message (its payload hash was not stored) whose readings an archived day
 * already holds (outcome duplicate, id 0: the archived runs know (device, seq), not the digest).
 * Its seqs are its Header.Timestamp's, so it is another message with the time of an archived
 * one: an equivocation, as it would be while that day was online (the `cim:<hash>` source is in
 * every digest). Returns the outcomes with those readings as equivocations, or null.
 */
export function archivedCimClash(inputs: readonly StoredReadingInput[], res: StoreBatchResult): StoreBatchResult | null {
  const clash = res.outcomes.map((o, i) => o === 'duplicate' && res.ids[i] === 0);
  if (!clash.includes(true)) return null;
  const out: StoreBatchResult = { stored: [], duplicate: [], equivocation: [], outcomes: [], ids: res.ids.slice() };
  res.outcomes.forEach((o, i) => {
    const outcome = clash[i] ? 'equivocation' : o;
    out.outcomes.push(outcome);
    out[outcome].push(inputs[i]!.reading.seq);
  });
  return out;
}

/** Map a `cim_messages` row. */
export function rowToCimMessage(r: Record<string, unknown>): CimMessageRecord {
  return {
    hash: String(r.hash) as Hex, serverId: String(r.server_id), signer: String(r.signer) as Hex, signature: String(r.signature) as Hex,
    payload: new Uint8Array(Buffer.from(String(r.payload), 'base64')), receivedAtMs: num(r.received_ms),
  };
}

/** Serialised reading body (exactly the signed fields, in the interface's order). */
export function readingBody(r: SignedReading): string {
  return JSON.stringify({
    pod: r.pod, meter: r.meter, seq: r.seq, timestamp: r.timestamp, source: r.source,
    values: r.values.map((v) => ({ quantity: v.quantity, value: v.value, scale: v.scale, unit: v.unit })),
    signature: r.signature,
  });
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

/** Map a `readings` row (snake_case columns, bigint as string or number) to a StoredReading. */
export function rowToReading(r: Record<string, unknown>): StoredReading {
  return {
    id: num(r.id),
    pod: String(r.pod),
    device: String(r.device) as Hex,
    seq: num(r.seq),
    timestampMs: num(r.ts_ms),
    receivedAtMs: num(r.received_ms),
    digest: String(r.digest) as Hex,
    reading: JSON.parse(String(r.body)) as SignedReading,
    status: String(r.status) as ReadingStatus,
    anchorIndex: numOrNull(r.anchor_index),
    leafIndex: numOrNull(r.leaf_index),
  };
}

export function rowToAnchor(r: Record<string, unknown>): AnchorRecord {
  return {
    index: num(r.idx),
    root: String(r.root) as Hex,
    leafCount: num(r.leaf_count),
    fromMs: num(r.from_ms),
    toMs: num(r.to_ms),
    prevHash: String(r.prev_hash) as Hex,
    anchorHash: r.anchor_hash === null || r.anchor_hash === undefined ? null : (String(r.anchor_hash) as Hex),
    transaction: String(r.tx) as Hex,
    blockNumber: numOrNull(r.block_number),
    status: String(r.status) as AnchorStatus,
    createdAtMs: num(r.created_ms),
    confirmedAtMs: numOrNull(r.confirmed_ms),
  };
}

export function rowToNode(r: Record<string, unknown>): NodeRecord {
  const state = String(r.state);
  return {
    pod: String(r.pod),
    device: r.device === null || r.device === undefined ? null : (String(r.device) as Hex),
    state: state === 'online' || state === 'offline' ? state : 'unknown',
    lastSeenMs: numOrNull(r.last_seen_ms),
    lastStatusMs: numOrNull(r.last_status_ms),
    lastStoredSeq: numOrNull(r.last_stored_seq),
    reportedLastSeq: numOrNull(r.reported_last_seq),
    spoolDepth: numOrNull(r.spool_depth),
    quarantined: numOrNull(r.quarantined),
    agentVersion: r.agent_version === null || r.agent_version === undefined ? null : String(r.agent_version),
    readings: num(r.readings ?? 0),
    gaps: num(r.gaps ?? 0),
    rejected: num(r.rejected ?? 0),
    rejectedByCode: {},
    duplicates: num(r.duplicates ?? 0),
    equivocations: num(r.equivocations ?? 0),
  };
}

const CODE_RE = /^[A-Z][A-Z0-9_]{2,63}$/;
const SEARCH_RE = /^[A-Za-z0-9]{1,42}$/;

/** A checked NodeCounterDelta: every count a safe integer >= 0, codes like the ack's. */
export interface CounterRow { rejected: number; duplicates: number; equivocations: number; byCode: [code: string, count: number][] }

export function checkCounterDelta(d: NodeCounterDelta): CounterRow {
  const count = (v: number | undefined, field: string): number => (v === undefined ? 0 : checkId(v, field));
  const byCode: [string, number][] = [];
  for (const [code, n] of Object.entries(d.rejectedByCode ?? {})) {
    if (!CODE_RE.test(code)) throw new ValidationError(BAL_STORE_INVALID, 'rejectedByCode', 'ack reason codes (A-Z, 0-9, _)', code);
    if (count(n, `rejectedByCode.${code}`) > 0) byCode.push([code, n]);
  }
  const sum = byCode.reduce((a, [, n]) => a + n, 0);
  return {
    rejected: d.rejected === undefined ? sum : count(d.rejected, 'rejected'),
    duplicates: count(d.duplicates, 'duplicates'),
    equivocations: count(d.equivocations, 'equivocations'),
    byCode,
  };
}

/** The `search` of listNodes: letters and digits only (so no LIKE wildcard can slip in). */
export function checkSearch(search: string): string {
  if (!SEARCH_RE.test(search)) throw new ValidationError(BAL_STORE_INVALID, 'search', '1..42 letters or digits', search);
  return search;
}

/** Fill `rejectedByCode` of `nodes` from `node_rejections` rows (pod, code, cnt), in code order. */
export function withRejections(nodes: NodeRecord[], rows: Record<string, unknown>[]): NodeRecord[] {
  const byPod = new Map(nodes.map((n) => [n.pod, n]));
  const sorted = [...rows].sort((a, b) => (String(a.code) < String(b.code) ? -1 : String(a.code) > String(b.code) ? 1 : 0));
  for (const r of sorted) {
    const n = byPod.get(String(r.pod));
    const cnt = num(r.cnt);
    if (n && cnt > 0) n.rejectedByCode[String(r.code)] = cnt;
  }
  return nodes;
}

/** `rejectionsByCode` from `SELECT code, SUM(cnt) AS cnt … GROUP BY code` rows. */
export function rejectionTotals(rows: Record<string, unknown>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of [...rows].sort((a, b) => (String(a.code) < String(b.code) ? -1 : 1))) if (num(r.cnt) > 0) out[String(r.code)] = num(r.cnt);
  return out;
}

/** SELECT list for nodes with their per-device aggregates (same SQL in both dialects). */
export const NODE_SELECT = `
  SELECT n.pod, n.device, n.state, n.last_seen_ms, n.last_status_ms, n.reported_last_seq, n.spool_depth,
         n.quarantined, n.agent_version, n.rejected, n.duplicates, n.equivocations,
         COALESCE(d.cnt, 0) AS readings, COALESCE(d.gaps, 0) AS gaps,
         (SELECT nd.max_seq FROM node_devices nd WHERE nd.device = n.device) AS last_stored_seq
  FROM nodes n
  LEFT JOIN (SELECT pod, SUM(cnt) AS cnt, SUM(max_seq - min_seq + 1 - cnt) AS gaps FROM node_devices GROUP BY pod) d
    ON d.pod = n.pod`;

/** Check recordAnchor arguments (same rules in every implementation). */
export function checkAnchorArgs(leafCount: number, readingIds: number[]): void {
  if (readingIds.length === 0) throw new ValidationError(BAL_STORE_INVALID, 'readingIds', 'at least one reading', readingIds);
  if (leafCount !== readingIds.length) throw new ValidationError(BAL_STORE_INVALID, 'window.leafCount', `${readingIds.length} (readingIds.length)`, leafCount);
  if (new Set(readingIds).size !== readingIds.length) throw new ValidationError(BAL_STORE_INVALID, 'readingIds', 'distinct ids', 'duplicates');
}

/** A prune plan or day argument is inconsistent (day not aligned, empty, a leaf list incomplete). */
export const BAL_RETENTION_INVALID = 'BAL_RETENTION_INVALID';
const DAY = 86_400_000;

/** Check a day start (UTC midnight, ms). */
export function checkDay(dayMs: number, field = 'dayMs'): number {
  if (!Number.isSafeInteger(dayMs) || dayMs < 0 || dayMs % DAY !== 0) throw new ValidationError(BAL_RETENTION_INVALID, field, 'a UTC day start (ms, multiple of 86,400,000)', dayMs);
  return dayMs;
}

export function checkPlan(plan: PrunePlan): PrunePlan {
  checkDay(plan.dayMs, 'plan.dayMs');
  if (plan.records.length === 0) throw new ValidationError(BAL_RETENTION_INVALID, 'plan.records', 'at least one archived reading', 0);
  return plan;
}

export function rowToArchivedDay(r: Record<string, unknown>): ArchivedDay {
  return {
    dayMs: num(r.day_ms), readings: num(r.readings), minId: num(r.min_id), maxId: num(r.max_id), sha256: String(r.sha256),
    state: r.state === 'pruned' ? 'pruned' : 'pruning', archivedAtMs: num(r.archived_ms),
  };
}

/** Id bounds and reading count of a plan. */
export function planBounds(plan: PrunePlan): { minId: number; maxId: number; readings: number } {
  let minId = Infinity, maxId = -Infinity;
  for (const r of plan.records) { if (r.id < minId) minId = r.id; if (r.id > maxId) maxId = r.id; }
  return { minId, maxId, readings: plan.records.length };
}

/**
 * Anchors of the plan not wholly inside it (some leaves in other days): `leafCount` of each
 * anchor index → the indexes whose full leaf list must be kept before the day goes.
 */
export function splitAnchors(plan: PrunePlan, leafCount: (index: number) => number | undefined): number[] {
  const inPlan = new Map<number, number>();
  for (const r of plan.records) inPlan.set(r.anchorIndex, (inPlan.get(r.anchorIndex) ?? 0) + 1);
  const out: number[] = [];
  for (const [idx, n] of inPlan) {
    const total = leafCount(idx);
    if (total === undefined) throw new LightNodeError(BAL_RETENTION_INVALID, `anchor ${idx} of an archived reading is not in the store`, { index: idx });
    if (n < total) out.push(idx);
  }
  return out.sort((a, b) => a - b);
}

/** Leaves of an anchor as stored in `anchor_leaves` (comma-separated digests). */
export function leavesToText(leaves: readonly Hex[]): string { return leaves.join(','); }
export function textToLeaves(text: string): Hex[] { return text === '' ? [] : (text.split(',') as Hex[]); }

/** Check a split anchor's leaves read from the store before it is stored in `anchor_leaves`. */
export function checkLeaves(index: number, leaves: readonly Hex[], leafCount: number): void {
  if (leaves.length !== leafCount) {
    throw new LightNodeError('BAL_RETENTION_LEAVES_MISSING', `anchor ${index}: ${leaves.length} of its ${leafCount} leaves are in the store; its split day cannot be archived`, { index, found: leaves.length, leafCount });
  }
}
