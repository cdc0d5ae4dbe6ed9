/**
 * Cumulative acks (DESIGN §4 "Acks", issue 15): instead of one v 1 ack per readings message,
 * the BAL collects, per PoD, the seqs it has durably settled (stored or already stored) and the
 * ones it rejected, and publishes ONE v 2 ack `{ settled: [[from, to], …], rejected: […] }` at
 * most `maxDelayMs` after the first of them, or at once when `maxReadings` are waiting — like
 * TCP's delayed cumulative ACK. Only seqs handed to `add()` are ever covered, and `add()` is
 * called after the store commit: a range never spans a gap or a reading still in flight.
 * Pure apart from the injected timer and publish function.
 */
import { MAX_BATCH_READINGS, seqRanges, type AckRejection, type CumulativeAck } from '@lightnode/shared/messages';

export interface AckWindowOptions {
  /** Longest a settled seq waits for its ack, ms (keep well under the devices' mqtt.ackTimeoutSec). */
  maxDelayMs: number;
  /** A PoD's ack is sent at once when this many seqs (settled + rejected) are waiting. */
  maxReadings: number;
  publish(pod: string, ack: CumulativeAck): void;
  /** Timer; default setTimeout (unref'd). Returns a cancel function. */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

interface PodWindow { settled: Set<number>; rejected: Map<number, AckRejection>; cancel: (() => void) | null }

export interface AckWindow {
  /** Seqs of `pod` just committed (stored or duplicate) and just rejected. */
  add(pod: string, settled: readonly number[], rejected: readonly AckRejection[]): void;
  /** Publish every waiting ack now (shutdown). */
  flushAll(): void;
  /** PoDs with an ack waiting. */
  waiting(): number;
}

const defaultTimer = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
};

export function createAckWindow(opts: AckWindowOptions): AckWindow {
  const setTimer = opts.setTimer ?? defaultTimer;
  const pods = new Map<string, PodWindow>();

  function flush(pod: string): void {
    const w = pods.get(pod);
    if (!w) return;
    pods.delete(pod);
    w.cancel?.();
    if (w.settled.size === 0 && w.rejected.size === 0) return;
    const rejected = [...w.rejected.values()].sort((a, b) => a.seq - b.seq);
    opts.publish(pod, { v: 2, settled: seqRanges(w.settled), rejected });
  }

  return {
    add(pod, settled, rejected) {
      if (settled.length === 0 && rejected.length === 0) return;
      let w = pods.get(pod);
      if (!w) { w = { settled: new Set(), rejected: new Map(), cancel: null }; pods.set(pod, w); }
      // One verdict per seq, the safe one first (as in a v 1 ack): settled beats rejected.
      for (const s of settled) { w.settled.add(s); w.rejected.delete(s); }
      for (const r of rejected) if (!w.settled.has(r.seq) && !w.rejected.has(r.seq)) w.rejected.set(r.seq, r);
      // At most one batch's worth of rejections per ack keeps it far under the 1 MiB limit.
      if (w.settled.size + w.rejected.size >= opts.maxReadings || w.rejected.size >= MAX_BATCH_READINGS) flush(pod);
      else if (!w.cancel) w.cancel = setTimer(() => { if (pods.get(pod) === w) { w!.cancel = null; flush(pod); } }, opts.maxDelayMs);
    },
    flushAll() {
      for (const pod of [...pods.keys()]) flush(pod);
    },
    waiting: () => pods.size,
  };
}
