/**
 * The spool port: what the agent and the uplink need from a spool of signed readings, so the
 * uplink runs over any implementation (the SQLite `Spool`; `MemorySpool` in unit tests). Every
 * implementation passes one contract suite (edge/test/spool/spool-contract.ts, STYLE habit 10).
 */
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import type { Ack } from '@lightnode/shared/messages';

/** A reading before the spool gives it pod and seq (structurally the meters' ReadingDraft). */
export interface SpoolDraft { meter: string; timestamp: number; source: string; values: Reading['values'] }

/** A spooled reading as the uplink sends it: `body` is the SignedReading JSON exactly as signed, `bytes` its UTF-8 length. */
export interface OutboxRow { seq: number; bytes: number; body: string }

/** The ack content the spool applies (shape of the `Ack` message). */
export type AckInput = Omit<Ack, 'v'>;

/** What an ack did. */
export interface AckResult { deleted: number; quarantined: number; unknown: number }

/** The numbers the device status message and /healthz carry. */
export interface SpoolCounts {
  /** Readings waiting for an ack. */
  depth: number;
  /** Highest seq ever allocated (never reused), null before the first reading. */
  lastSeq: number | null;
  /** Readings the BAL rejected, kept for inspection. */
  quarantined: number;
  /** Highest seq removed by an ack, null before the first. */
  lastAckSeq: number | null;
}

/** A spool of signed readings waiting for the BAL's ack. */
export interface SpoolPort {
  /**
   * Validate, sign and commit drafts with consecutive seqs, all or nothing: a bad draft
   * (PROTO_READING_INVALID) or a throwing signer commits nothing and burns no seq.
   */
  appendMany(drafts: SpoolDraft[]): SignedReading[];
  /** Up to `limit` spooled rows with seq > `afterSeq`, oldest first (what to send next). */
  pending(afterSeq: number, limit: number): OutboxRow[];
  /** Delete stored/duplicate seqs, quarantine rejected ones, count seqs not (or no longer) spooled. */
  applyAck(ack: AckInput): AckResult;
  /** Current counts (cheap). */
  status(): SpoolCounts;
}
