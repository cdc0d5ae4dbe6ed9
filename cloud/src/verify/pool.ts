/**
 * Verification spread over worker threads (issue 5 item 3). Each MQTT batch becomes a job
 * (topic pod + raw payload bytes); parsing, validation, digest and signer recovery all run in
 * the workers, so the main thread only moves bytes, checks the registry mirror and stores.
 * Jobs waiting while all workers are busy are coalesced into one postMessage (up to
 * `maxJobsPerMessage` jobs / `maxBytesPerMessage` bytes) to amortise the message cost; their
 * payloads travel in one transferred ArrayBuffer (./pool-protocol.ts `PoolJobs`).
 * `threads: 0` verifies inline on the calling thread (tests, tiny deployments).
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { Worker } from 'node:worker_threads';
import { cpus } from 'node:os';
import type { SignedReading } from '@lightnode/shared/reading';
import type { Eip712Domain } from '@lightnode/shared/eip712-engine';
import { ingestEip712 } from './digest.js';
import { createBatchVerifier, type CoreBatchResult } from './verify-core.js';
import type { SecpImpl } from './recover.js';
import type { PoolJobs, PoolRequest, PoolResponse, WorkerInit } from './pool-protocol.js';

export interface VerifyPoolOptions {
  /** EIP-712 domain of the deployment (verifyingContract = PodRegistry). */
  domain: Eip712Domain;
  /** Worker threads; 0 = inline. Default: number of CPUs (min 1). */
  threads?: number;
  /** secp256k1 implementation; default `auto` (native when it loads). */
  secp?: 'auto' | SecpImpl;
  /** Messages in flight per worker before jobs queue up; default 2. */
  maxInFlightPerWorker?: number;
  /** Coalescing limits per postMessage; defaults 64 jobs, 512 KiB. */
  maxJobsPerMessage?: number;
  maxBytesPerMessage?: number;
  /**
   * Micro-batching: a job that finds fewer than `maxJobsPerMessage` queued waits up to this many
   * ms for others to share its postMessage (one message per worker job, not per MQTT message);
   * default 2. 0 = only jobs of the same event-loop turn are sent together.
   */
  gatherMs?: number;
}

export interface VerifyPool {
  /** secp256k1 implementation used by the workers. */
  readonly secp: SecpImpl;
  readonly threads: number;
  /** Verify one MQTT readings batch of `pod`'s topic. */
  verifyBatch(pod: string, payload: Uint8Array | string): Promise<CoreBatchResult>;
  /** Jobs waiting for a worker (gauge). */
  queued(): number;
  /** Workers replaced after dying. */
  restarts(): number;
  /** Fault injection: terminate worker `index` as if it crashed (it is replaced). */
  killWorker(index: number): Promise<void>;
  /**
   * Crypto ceiling for the bench: each worker digests + recovers `readings` `rounds` times in a
   * tight loop; returns total verified and the slowest worker's ms.
   */
  ceiling(readings: SignedReading[], rounds: number): Promise<{ verified: number; ms: number }>;
  close(): Promise<void>;
}

interface Pending { pod: string; payload: Uint8Array | string; bytes: number; resolve(r: CoreBatchResult): void; reject(e: unknown): void }

/** Pack the payloads of `take` into one transferable buffer (one copy per payload). */
function packJobs(take: readonly Pending[]): PoolJobs {
  let total = 0;
  for (const p of take) total += p.bytes;
  const buf = Buffer.allocUnsafeSlow(total);
  const ends: number[] = new Array(take.length);
  let off = 0;
  take.forEach((p, i) => {
    off += typeof p.payload === 'string' ? buf.write(p.payload, off, 'utf8') : (buf.set(p.payload, off), p.payload.byteLength);
    ends[i] = off;
  });
  return { pods: take.map((p) => p.pod), ends, bytes: buf.buffer as ArrayBuffer };
}

interface Slot {
  worker: Worker;
  ready: boolean;
  inFlight: Map<number, Pending[]>;
  ceilings: Map<number, (r: { verified: number; ms: number }) => void>;
}

function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: init });
  // Running from TypeScript sources under tsx: Node 20 workers do not inherit tsx's loader
  // hooks for their entry module, so register tsx inside the worker, then load the entry.
  const entry = new URL('./verify-worker.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: init });
}

/** Start the pool; resolves when every worker has loaded its crypto. */
export async function createVerifyPool(opts: VerifyPoolOptions): Promise<VerifyPool> {
  const separator = ingestEip712.domainSeparator(opts.domain);
  const threads = opts.threads ?? Math.max(1, cpus().length);
  const secpPref = opts.secp ?? 'auto';

  if (threads === 0) {
    const v = createBatchVerifier(separator, secpPref);
    return {
      secp: v.secp,
      threads: 0,
      verifyBatch: async (pod, payload) => v.verifyPayload(pod, payload),
      queued: () => 0,
      restarts: () => 0,
      killWorker: async () => {},
      ceiling: async (readings, rounds) => {
        const t0 = performance.now();
        let verified = 0;
        for (let i = 0; i < rounds; i++) for (const s of v.verifyReadings(readings)) if (s) verified++;
        return { verified, ms: performance.now() - t0 };
      },
      close: async () => {},
    };
  }

  const maxInFlight = opts.maxInFlightPerWorker ?? 2;
  const maxJobs = opts.maxJobsPerMessage ?? 64;
  const maxBytes = opts.maxBytesPerMessage ?? 512 * 1024;
  const gatherMs = opts.gatherMs ?? 2;
  const init: WorkerInit = { separatorHex: `0x${Buffer.from(separator).toString('hex')}`, secp: secpPref };
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let msgSeq = 0;
  let closed = false;
  let secp: SecpImpl = 'noble';
  let restarts = 0;

  const failSlot = (slot: Slot, err: unknown): void => {
    for (const list of slot.inFlight.values()) for (const p of list) p.reject(err);
    slot.inFlight.clear();
  };

  const pump = (): void => {
    // Spread what is waiting over the workers that can take a message: with the ingest's 64
    // batches in flight and 64 jobs per message, one message would otherwise carry everything
    // and one worker would verify while the other idles (issue 15, one reading per message).
    let free = 0;
    for (const s of slots) if (s.ready && s.inFlight.size < maxInFlight) free++;
    const share = free > 1 ? Math.ceil(queue.length / free) : maxJobs;
    while (queue.length > 0) {
      let best: Slot | null = null;
      for (const s of slots) if (s.ready && s.inFlight.size < maxInFlight && (!best || s.inFlight.size < best.inFlight.size)) best = s;
      if (!best) return;
      const take: Pending[] = [];
      let bytes = 0;
      while (queue.length > 0 && take.length < maxJobs && take.length < share && (take.length === 0 || bytes + queue[0]!.bytes <= maxBytes)) {
        const p = queue.shift()!;
        bytes += p.bytes;
        take.push(p);
      }
      const seq = ++msgSeq;
      best.inFlight.set(seq, take);
      const jobs = packJobs(take);
      best.worker.postMessage({ kind: 'jobs', seq, jobs } satisfies PoolRequest, [jobs.bytes]);
    }
  };

  // Jobs arriving in one event-loop turn (an MQTT read often carries many publishes) are sent
  // together: pump after the turn instead of once per job.
  // With gatherMs, jobs of the next few ms join them (micro-batching); a full message goes at once.
  let pumpScheduled = false;
  let gatherTimer: NodeJS.Timeout | null = null;
  const runPump = (): void => {
    pumpScheduled = false;
    if (gatherTimer) { clearTimeout(gatherTimer); gatherTimer = null; }
    pump();
  };
  const schedulePump = (): void => {
    if (queue.length >= maxJobs && !pumpScheduled) { pumpScheduled = true; setImmediate(runPump); return; }
    if (pumpScheduled || gatherTimer) return;
    if (gatherMs > 0) gatherTimer = setTimeout(runPump, gatherMs);
    else { pumpScheduled = true; setImmediate(runPump); }
  };

  /** Start one worker; a worker that dies is replaced (its in-flight jobs are rejected: not acked, resent). */
  const spawnSlot = (): Promise<void> => new Promise<void>((resolve, reject) => {
    const worker = startWorker(init);
    const slot: Slot = { worker, ready: false, inFlight: new Map(), ceilings: new Map() };
    slots.push(slot);
    worker.on('message', (m: PoolResponse) => {
      if (m.kind === 'ready') { secp = m.secp; slot.ready = true; resolve(); pump(); return; }
      if (m.kind === 'results') {
        const list = slot.inFlight.get(m.seq);
        slot.inFlight.delete(m.seq);
        list?.forEach((p, i) => p.resolve(m.results[i]!));
        pump();
      } else if (m.kind === 'ceiling') {
        slot.ceilings.get(m.seq)?.({ verified: m.verified, ms: m.ms });
        slot.ceilings.delete(m.seq);
      }
    });
    worker.on('error', (err) => { if (!slot.ready) reject(err); failSlot(slot, err); });
    worker.on('exit', (code) => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      failSlot(slot, new LightNodeError('BAL_VERIFY_WORKER_EXIT', `verify worker exited with code ${code}`, { exitCode: code }));
      if (!closed && slot.ready) {
        restarts++;
        spawnSlot().catch((err) => { for (const p of queue.splice(0)) p.reject(err); });
      }
    });
  });

  await Promise.all(Array.from({ length: threads }, spawnSlot));

  return {
    secp,
    threads,
    verifyBatch(pod, payload) {
      if (closed) return Promise.reject(new LightNodeError('BAL_VERIFY_POOL_CLOSED', 'verify pool closed'));
      return new Promise((resolve, reject) => {
        const bytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
        queue.push({ pod, payload, bytes, resolve, reject });
        schedulePump();
      });
    },
    queued: () => queue.length,
    restarts: () => restarts,
    async killWorker(index) {
      const s = slots[index];
      if (s) await s.worker.terminate();
    },
    async ceiling(readings, rounds) {
      const parts = await Promise.all(slots.map((s) => new Promise<{ verified: number; ms: number }>((resolve) => {
        const seq = ++msgSeq;
        s.ceilings.set(seq, resolve);
        s.worker.postMessage({ kind: 'ceiling', seq, readings, rounds } satisfies PoolRequest);
      })));
      return { verified: parts.reduce((a, p) => a + p.verified, 0), ms: Math.max(...parts.map((p) => p.ms)) };
    },
    async close() {
      closed = true;
      const err = new LightNodeError('BAL_VERIFY_POOL_CLOSED', 'verify pool closed');
      for (const s of slots) failSlot(s, err);
      for (const p of queue.splice(0)) p.reject(err);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
