/**
 * The uplink's send window, pure (no socket, no timer, no spool): which spooled readings go in
 * the next batch, how many batches are in flight, which ack completes which batch, and when an
 * ack is overdue. At-least-once: after a reconnect or an ack timeout the uplink `rewind()`s and
 * sends again from the oldest spooled reading; the BAL acks a resent reading as a duplicate.
 */
import { readingsThatFit } from '@lightnode/shared/messages';
import type { OutboxRow } from '../spool/port.js';

export interface BatchWindowOptions {
  /** Most batches published and not yet fully acked (mqtt.inFlightBatches). */
  maxInFlight: number;
  /** A batch unacked for longer than this, ms, means the acks are lost (mqtt.ackTimeoutSec). */
  ackTimeoutMs: number;
}

/** One batch to publish: its rows, oldest first, and their summed body bytes. */
export interface Batch { rows: readonly OutboxRow[]; bytes: number }

interface InFlight { unacked: Set<number>; sentMs: number }

/** In-flight accounting of the uplink. */
export class BatchWindow {
  readonly #o: BatchWindowOptions;
  #cursor = -1;
  readonly #inFlight = new Map<number, InFlight>(); // by the batch's first seq
  readonly #batchOf = new Map<number, number>(); // seq -> its batch's first seq

  constructor(opts: BatchWindowOptions) {
    this.#o = opts;
  }

  /** The last seq handed out since the last rewind (-1: none): ask the spool for rows after it. */
  get cursor(): number { return this.#cursor; }
  /** Batches published and not yet fully acked. */
  get inFlight(): number { return this.#inFlight.size; }
  /** Whether another batch may be published now. */
  get hasRoom(): boolean { return this.#inFlight.size < this.#o.maxInFlight; }

  /**
   * The next batch from `rows` (the spool's pending rows after `cursor`, oldest first): the
   * prefix the shared batch rule admits (≤ 1 MiB, ≤ 1000 readings), recorded as in flight
   * since `nowMs`. Undefined when there is no room or nothing to send.
   */
  take(rows: readonly OutboxRow[], nowMs: number): Batch | undefined {
    if (!this.hasRoom || rows.length === 0) return undefined;
    const sizes = rows.map((r) => r.bytes);
    const n = readingsThatFit(sizes, undefined, rows.length);
    const batch = n === rows.length ? rows : rows.slice(0, n);
    const first = batch[0]!.seq;
    const unacked = new Set<number>();
    let bytes = 0;
    for (const r of batch) {
      unacked.add(r.seq);
      this.#batchOf.set(r.seq, first);
      bytes += r.bytes;
    }
    this.#inFlight.set(first, { unacked, sentMs: nowMs });
    this.#cursor = batch[batch.length - 1]!.seq;
    return { rows: batch, bytes };
  }

  /** Seqs the BAL answered (stored, duplicate or rejected): a batch is done when all of its are. */
  acked(seqs: Iterable<number>): void {
    for (const seq of seqs) {
      const first = this.#batchOf.get(seq);
      if (first === undefined) continue; // sent before a rewind, or never by us
      this.#batchOf.delete(seq);
      const b = this.#inFlight.get(first);
      if (!b) continue;
      b.unacked.delete(seq);
      if (b.unacked.size === 0) this.#inFlight.delete(first);
    }
  }

  /** Whether some batch in flight has waited more than ackTimeoutMs for its ack. */
  overdue(nowMs: number): boolean {
    for (const b of this.#inFlight.values()) if (nowMs - b.sentMs > this.#o.ackTimeoutMs) return true;
    return false;
  }

  /** Forget what is in flight; send from the oldest spooled reading again. True when this resends something. */
  rewind(): boolean {
    const resend = this.#cursor >= 0 || this.#inFlight.size > 0;
    this.#cursor = -1;
    this.#inFlight.clear();
    this.#batchOf.clear();
    return resend;
  }
}
