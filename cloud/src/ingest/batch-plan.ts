/**
 * Pure decisions of one readings batch (DESIGN §4): from the worker's per-reading verdicts,
 * the clock and the registry verdicts to (a) the inputs for `store.storeBatch` and (b) the
 * ack entries that do not depend on the store. No I/O here; ./ingest.ts does the awaiting.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { StoredReadingInput, StoreBatchResult } from '../store/types.js';
import type { CoreItem, VerifiedItem } from '../verify/verify-core.js';
import type { RegistryVerdict } from '../registry/verdict.js';
import type { Ack as AckMessage, AckRejection } from '@lightnode/shared/messages';


export interface BatchPlan {
  /** Readings for `storeBatch`, first occurrence of each (signer, seq) in the batch. */
  toStore: StoredReadingInput[];
  /** Later copies of a (signer, seq) already in `toStore`: settled after the first is stored. */
  repeats: StoredReadingInput[];
  rejected: AckRejection[];
  /** Readings left out of the ack (registry unreachable): the device resends them. */
  deferred: number;
  /** Rejections that had no usable seq (cannot be acked). */
  unattributable: number;
}

/** Split verified items after the clock and registry checks. `verdicts[i]` is for `items[i]`. */
export function planBatch(
  items: readonly CoreItem[],
  verdicts: readonly (RegistryVerdict | null)[],
  nowMs: number,
  futureSkewMs: number,
): BatchPlan {
  const plan: BatchPlan = { toStore: [], repeats: [], rejected: [], deferred: 0, unattributable: 0 };
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!item.ok) {
      if (item.seq === null) plan.unattributable++;
      else plan.rejected.push({ seq: item.seq, code: item.code, reason: item.reason });
      continue;
    }
    const r = item.reading;
    if (r.timestamp > nowMs + futureSkewMs) {
      plan.rejected.push({ seq: r.seq, code: 'BAL_TIMESTAMP_FUTURE', reason: `timestamp ${r.timestamp} is more than ${futureSkewMs} ms ahead of ${nowMs}` });
      continue;
    }
    const v = verdicts[i];
    if (!v) throw new LightNodeError('BAL_INTERNAL', `planBatch: no registry verdict for item ${i}`, { item: i });
    if (!v.ok) {
      if ('retry' in v) plan.deferred++;
      else plan.rejected.push({ seq: r.seq, code: v.code, reason: v.reason });
      continue;
    }
    const input = toInput(item, nowMs);
    if (items.length === 1) { plan.toStore.push(input); continue; } // nothing to repeat
    const key = `${item.signer}|${r.seq}`;
    if (seen.has(key)) plan.repeats.push(input);
    else { seen.add(key); plan.toStore.push(input); }
  }
  return plan;
}

function toInput(item: VerifiedItem, nowMs: number): StoredReadingInput {
  return { reading: item.reading, digest: item.digest, signer: item.signer, receivedAtMs: nowMs, body: item.body };
}

/** Fold store outcomes into the ack (equivocation → rejected BAL_EQUIVOCATION). */
export function addStoreOutcomes(ack: AckMessage, inputs: readonly StoredReadingInput[], res: StoreBatchResult): void {
  for (let i = 0; i < inputs.length; i++) {
    const seq = inputs[i]!.reading.seq;
    switch (res.outcomes[i]) {
      case 'stored': ack.stored.push(seq); break;
      case 'duplicate': ack.duplicate.push(seq); break;
      case 'equivocation':
        ack.rejected.push({ seq, code: 'BAL_EQUIVOCATION', reason: `another reading is already stored under (${inputs[i]!.signer}, ${seq})` });
        break;
      default: throw new LightNodeError('BAL_INTERNAL', `store returned no outcome for input ${i}`, { input: i });
    }
  }
}

const MAX_REASON = 512;

/**
 * Make every seq appear once across stored / duplicate / rejected (the Ack contract). A batch
 * can carry two readings with one seq (a forged copy, a repeat): the edge's spool holds one
 * reading per seq, so the verdict that keeps it safe wins — stored, then duplicate, then the
 * first rejection. Lists are sorted; reasons are cut to the message limit.
 */
export function finalizeAck(ack: AckMessage): void {
  // Common case (one reading per message, or a clean batch): only stored seqs, ascending, once each.
  if (ack.duplicate.length === 0 && ack.rejected.length === 0 && isStrictlyAscending(ack.stored)) return;
  const stored = new Set(ack.stored);
  const duplicate = new Set([...ack.duplicate].filter((s) => !stored.has(s)));
  const rejected = new Map<number, AckRejection>();
  for (const r of ack.rejected) {
    if (stored.has(r.seq) || duplicate.has(r.seq) || rejected.has(r.seq)) continue;
    rejected.set(r.seq, { seq: r.seq, code: r.code, reason: r.reason.length > MAX_REASON ? r.reason.slice(0, MAX_REASON) : r.reason });
  }
  ack.stored = [...stored].sort((a, b) => a - b);
  ack.duplicate = [...duplicate].sort((a, b) => a - b);
  ack.rejected = [...rejected.values()].sort((a, b) => a.seq - b.seq);
}

function isStrictlyAscending(seqs: readonly number[]): boolean {
  for (let i = 1; i < seqs.length; i++) if (seqs[i]! <= seqs[i - 1]!) return false;
  return true;
}
