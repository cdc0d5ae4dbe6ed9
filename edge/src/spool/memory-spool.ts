/**
 * An in-memory SpoolPort: same contract as the SQLite `Spool` (edge/test/spool/spool-contract.ts)
 * without durability. For unit tests of the uplink and anything else that needs a spool but not
 * a disk; never for production (a restart loses every unacked reading).
 */
import { validateReading, type Reading, type SignedReading } from '@lightnode/shared/reading';
import type { AckInput, AckResult, OutboxRow, SpoolCounts, SpoolDraft, SpoolPort } from './port.js';

export interface MemorySpoolOptions {
  /** The node's PoD code, put in every reading. */
  pod: string;
  /** Signs a reading (EIP-712, device key). */
  sign: (reading: Reading) => SignedReading;
}

/** The in-memory spool. Rows are kept in seq order (seqs only grow). */
export class MemorySpool implements SpoolPort {
  readonly #pod: string;
  readonly #sign: (r: Reading) => SignedReading;
  #rows: OutboxRow[] = [];
  readonly #quarantine = new Map<number, { code: string; reason: string; body: string }>();
  #lastSeq = -1;
  #lastAckSeq: number | null = null;

  constructor(opts: MemorySpoolOptions) {
    this.#pod = opts.pod;
    this.#sign = opts.sign;
  }

  /** Validate, sign and keep drafts with consecutive seqs, all or nothing. */
  appendMany(drafts: SpoolDraft[]): SignedReading[] {
    const out: SignedReading[] = [];
    const rows: OutboxRow[] = [];
    let seq = this.#lastSeq;
    for (const d of drafts) {
      seq += 1;
      const signed = this.#sign(validateReading({ pod: this.#pod, meter: d.meter, seq, timestamp: d.timestamp, source: d.source, values: d.values }));
      const body = JSON.stringify(signed);
      rows.push({ seq, bytes: Buffer.byteLength(body), body });
      out.push(signed);
    }
    // Commit only after every draft signed: a throw above leaves seq and rows untouched.
    this.#rows.push(...rows);
    this.#lastSeq = seq;
    return out;
  }

  /** Up to `limit` rows with seq > `afterSeq`, oldest first. */
  pending(afterSeq: number, limit: number): OutboxRow[] {
    const out: OutboxRow[] = [];
    for (const r of this.#rows) {
      if (out.length >= limit) break;
      if (r.seq > afterSeq) out.push({ ...r });
    }
    return out;
  }

  /** Delete stored/duplicate, quarantine rejected, count unknown seqs. */
  applyAck(ack: AckInput): AckResult {
    const res: AckResult = { deleted: 0, quarantined: 0, unknown: 0 };
    const bySeq = new Map(this.#rows.map((r) => [r.seq, r]));
    const gone = new Set<number>();
    const take = (seq: number): OutboxRow | undefined => {
      const row = bySeq.get(seq);
      if (!row || gone.has(seq)) { res.unknown += 1; return undefined; }
      gone.add(seq);
      if (seq > (this.#lastAckSeq ?? -1)) this.#lastAckSeq = seq;
      return row;
    };
    for (const seq of [...ack.stored, ...ack.duplicate]) if (take(seq)) res.deleted += 1;
    for (const r of ack.rejected) {
      const row = take(r.seq);
      if (!row) continue;
      this.#quarantine.set(r.seq, { code: r.code, reason: r.reason, body: row.body });
      res.quarantined += 1;
    }
    if (gone.size) this.#rows = this.#rows.filter((r) => !gone.has(r.seq));
    return res;
  }

  /** Current counts. */
  status(): SpoolCounts {
    return { depth: this.#rows.length, lastSeq: this.#lastSeq >= 0 ? this.#lastSeq : null, quarantined: this.#quarantine.size, lastAckSeq: this.#lastAckSeq };
  }

  /** Quarantined rows by seq (tests). */
  quarantined(): { seq: number; code: string; reason: string; body: string }[] {
    return [...this.#quarantine].sort((a, b) => a[0] - b[0]).map(([seq, q]) => ({ seq, ...q }));
  }
}
