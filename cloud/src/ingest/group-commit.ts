/**
 * Group commit for `store.storeBatch`: batches that become ready in the same event-loop turn,
 * or while a store transaction is running, are merged into the next transaction (each batch stays inside ONE transaction, as
 * DESIGN §4 requires; the transaction may just hold several batches). Under load this turns
 * hundreds of small commits per second into a few large ones; with no load it adds nothing.
 * Two inputs with the same (signer, seq) never share a transaction: the later one waits for
 * the next, so each is judged against a committed state by every store implementation.
 */
import type { BalStore, StoreBatchResult, StoredReadingInput } from '../store/types.js';

interface Job { inputs: StoredReadingInput[]; resolve(r: StoreBatchResult): void; reject(e: unknown): void }

export interface GroupCommitOptions {
  /** Cap on readings per merged transaction; default 20,000. */
  maxReadings?: number;
  /** Run `fn` after the current event-loop turn; default setImmediate (tests step turns by hand). */
  defer?: (fn: () => void) => void;
}

export interface GroupCommitter {
  /** Store `inputs` (one batch) and resolve with the outcomes of exactly these inputs. */
  submit(inputs: StoredReadingInput[]): Promise<StoreBatchResult>;
}

/** A group committer over the store's `storeBatch`. */
export function createGroupCommitter(store: Pick<BalStore, 'storeBatch'>, opts: GroupCommitOptions = {}): GroupCommitter {
  const maxReadings = opts.maxReadings ?? 20_000;
  const defer = opts.defer ?? ((fn: () => void) => { setImmediate(fn); });
  const queue: Job[] = [];
  let running = false;

  // better-sqlite3 commits synchronously, so without a pause no two batches would ever meet:
  // drain after the current event-loop turn, merging every batch that became ready in it.
  let scheduled = false;
  function schedule(): void {
    if (running || scheduled) return;
    scheduled = true;
    defer(() => { scheduled = false; void drain(); });
  }

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const group: Job[] = [];
        const keys = new Set<string>();
        let n = 0;
        for (let i = 0; i < queue.length && n < maxReadings; ) {
          const job = queue[i]!;
          if (group.length > 0 && n + job.inputs.length > maxReadings) { i++; continue; }
          const jobKeys = job.inputs.map((x) => `${x.signer}|${x.reading.seq}`);
          if (group.length > 0 && jobKeys.some((k) => keys.has(k))) { i++; continue; }
          for (const k of jobKeys) keys.add(k);
          group.push(job);
          n += job.inputs.length;
          queue.splice(i, 1);
        }
        const all = group.length === 1 ? group[0]!.inputs : group.flatMap((j) => j.inputs);
        let res: StoreBatchResult;
        try {
          res = await store.storeBatch(all);
        } catch (err) {
          group.forEach((j) => j.reject(err));
          continue;
        }
        if (group.length === 1) { group[0]!.resolve(res); continue; }
        let off = 0;
        for (const j of group) {
          const k = j.inputs.length;
          const part: StoreBatchResult = { outcomes: res.outcomes.slice(off, off + k), ids: res.ids.slice(off, off + k), stored: [], duplicate: [], equivocation: [] };
          for (let i = 0; i < k; i++) part[part.outcomes[i]!].push(j.inputs[i]!.reading.seq);
          j.resolve(part);
          off += k;
        }
      }
    } finally {
      running = false;
      if (queue.length > 0) schedule();
    }
  }

  return {
    submit(inputs) {
      return new Promise((resolve, reject) => {
        queue.push({ inputs, resolve, reject });
        schedule();
      });
    },
  };
}
