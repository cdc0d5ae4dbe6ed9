/**
 * Readings ingest (DESIGN §4, issue 5 item 1): takes readings messages from a source
 * (./source.ts: by default `ln/v1/+/readings` at QoS 1 on the BAL's mqtt.js client; or a shared
 * subscription, or a JetStream consumer), and per batch: verify in the worker pool,
 * check timestamps against the clock and signers against the registry mirror, store the good
 * readings in ONE store transaction (batches ready together share it: ./group-commit.ts), and
 * only then publish the Ack on `ln/v1/{pod}/ack` (v 1 per message, or v 2 cumulative per PoD
 * per window: ./ack-window.ts).
 * A batch whose store transaction fails is not acked at all: the device resends it.
 * Bad input is counted per reason code and logged; nothing here throws out of a handler.
 */
import type { MqttClient } from 'mqtt';
import { topicFor } from '@lightnode/shared/topics';
import { serializeAck, serializeCumulativeAck, type CumulativeAck } from '@lightnode/shared/messages';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import type { BalStore, StoreBatchResult, StoredReadingInput } from '../store/types.js';
import type { Hex } from '@lightnode/shared/hex';
import type { SignedReading } from '@lightnode/shared/reading';
import type { VerifyPool } from '../verify/pool.js';
import type { CoreItem } from '../verify/verify-core.js';
import { addStoreOutcomes, finalizeAck, planBatch } from './batch-plan.js';
import type { RegistryVerdict } from '../registry/verdict.js';
import type { Ack as AckMessage } from '@lightnode/shared/messages';
import { createIngestMetrics } from './ingest-metrics.js';
import { createGroupCommitter } from './group-commit.js';
import { createAckWindow } from './ack-window.js';
import { mqttReadingsSource, READINGS_FILTER, type ReadingsSource } from './source.js';

/** The part of the registry mirror the ingest uses (./registry/mirror.ts implements it). */
export interface SignerChecker {
  checkLocal(pod: string, signer: Hex, ms: number): string | null;
  checkSigner(pod: string, signer: Hex, ms: number): Promise<RegistryVerdict>;
}

export interface IngestConfig {
  /** Readings timestamped more than this ahead of the BAL clock are rejected (BAL_TIMESTAMP_FUTURE); ms, default 60,000. */
  futureSkewMs?: number;
  /** Batches in flight (verifying or storing) before MQTT reading is paused; default 64. */
  maxInFlightBatches?: number;
  /** QoS of the published acks; default 1. */
  ackQos?: 0 | 1;
  /**
   * `per-reading` (default): one v 1 ack per readings message, right after its commit.
   * `cumulative`: one v 2 ack per PoD per window (./ack-window.ts) — fewer ack messages; every
   * device must run an agent that accepts v 2 acks (DESIGN §4 "Acks").
   */
  ackMode?: 'per-reading' | 'cumulative';
  /** Cumulative acks: longest wait of a settled seq for its ack, ms; default 1000. */
  ackMaxDelayMs?: number;
  /** Cumulative acks: a PoD's ack goes at once when this many seqs wait; default 500. */
  ackMaxReadings?: number;
  /**
   * QoS of the default source's readings subscription; default 1. 0 spares a PUBACK per readings
   * message (BAL and broker CPU) at the cost of messages in flight to the BAL being lost when it
   * disconnects: the devices resend whatever has no ack after their `mqtt.ackTimeoutSec`, so no
   * reading is lost, only delayed. Ignored when `source` is given.
   */
  readingsQos?: 0 | 1;
}

/** A reading the store has just committed (for `onStored`). */
export interface StoredReadingNotice {
  /** Storage id. */
  id: number;
  /** EIP-712 digest (the Merkle leaf), lower-case. */
  digest: Hex;
  /** Recovered signer, lower-case. */
  signer: Hex;
  reading: SignedReading;
}

export interface IngestDeps {
  /** Acks are published here; readings come from here too unless `source` is given. */
  mqtt: MqttClient;
  /** Where readings come from (./source.ts); default a plain subscription on `mqtt`. */
  source?: ReadingsSource;
  store: BalStore;
  mirror: SignerChecker;
  pool: VerifyPool;
  metrics: MetricsRegistry;
  log: Logger;
  config?: IngestConfig;
  /** Clock, ms since epoch; default Date.now. */
  now?: () => number;
  /**
   * Called once per committed store transaction of a batch with the readings it stored (not the
   * duplicates), before the ack is published (e.g. the certified republisher). A throw is logged
   * and counted, never fails the batch or its ack.
   */
  onStored?: (pod: string, stored: readonly StoredReadingNotice[]) => void;
  /**
   * Called after a PoD's node counters (rejected by code, duplicates, equivocations) were
   * written to the store (e.g. to refresh the dashboard's fleet row). A throw is logged.
   */
  onCounters?: (pod: string) => void;
}

export interface Ingest {
  /** Resolves when no batch is in flight. */
  idle(): Promise<void>;
  /** Batches in flight. */
  inFlight(): number;
  /** Unsubscribe and wait for in-flight batches (their acks are still published). */
  stop(): Promise<void>;
}

/** The registry verdict of a signer the mirror knows (shared: never mutated). */
const LOCAL_OK: RegistryVerdict = Object.freeze({ ok: true as const });

/** The ingest's subscription: readings of every PoD (`ln/v1/+/readings`). */
export { READINGS_FILTER };

/** Subscribe and start processing readings batches. Resolves once the subscription is granted. */
export async function startIngest(deps: IngestDeps): Promise<Ingest> {
  const { mqtt, store, mirror, pool, log } = deps;
  const now = deps.now ?? Date.now;
  const futureSkewMs = deps.config?.futureSkewMs ?? 60_000;
  const maxInFlight = deps.config?.maxInFlightBatches ?? 64;
  const ackQos = deps.config?.ackQos ?? 1;
  const m = createIngestMetrics(deps.metrics, () => inFlight);
  deps.metrics.gauge('bal_verify_queued_jobs', 'Readings batches waiting for a verify worker', [], () => pool.queued());
  deps.metrics.gauge('bal_verify_worker_restarts', 'Verify workers replaced after dying', [], () => pool.restarts());
  const lastSeq = new Map<Hex, number>();
  const committer = createGroupCommitter(store);
  const ackWindow = deps.config?.ackMode === 'cumulative'
    ? createAckWindow({ maxDelayMs: deps.config.ackMaxDelayMs ?? 1000, maxReadings: deps.config.ackMaxReadings ?? 500, publish: (pod, ack) => publishAck(pod, ack) })
    : null;

  let inFlight = 0;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const source = deps.source ?? mqttReadingsSource(mqtt, { qos: deps.config?.readingsQos ?? 1 });
  const handle = (pod: string, payload: Buffer): Promise<boolean> => {
    if (stopped) return Promise.resolve(false);
    inFlight++;
    const done = m.batchSeconds.startTimer();
    return processBatch(pod, payload)
      .catch((err) => { m.internalErrors.inc(); log.error('batch processing failed', { pod, err }); return false; })
      .finally(() => {
        done();
        inFlight--;
        if (inFlight === 0) { const w = idleWaiters; idleWaiters = []; w.forEach((f) => f()); }
      });
  };

  /** Resolves true once the message is settled (stored or refused, ack on its way); false if its store failed. */
  async function processBatch(pod: string, payload: Buffer): Promise<boolean> {
    m.batches.inc();
    m.bytes.inc(undefined, payload.byteLength);
    const core = await pool.verifyBatch(pod, payload);
    if (core.envelopeError) {
      m.malformed.inc({ code: core.envelopeError.code });
      log.warn('readings batch refused', { pod, code: core.envelopeError.code, reason: core.envelopeError.reason, bytes: payload.byteLength });
    }
    if (core.items.length === 0) return true; // nothing attributable: counted, cannot be acked

    // Usually every signer is known to the mirror: no promise, no extra turn.
    const local = registryVerdicts(pod, core.items);
    const verdicts = Array.isArray(local) ? local : await local;
    const plan = planBatch(core.items, verdicts, now(), futureSkewMs);
    const ack: AckMessage = { v: 1, stored: [], duplicate: [], rejected: plan.rejected };

    if (plan.toStore.length > 0) {
      let res;
      try {
        res = await committer.submit(plan.toStore);
      } catch (err) {
        m.storeErrors.inc();
        log.error('store transaction failed; batch not acked', { pod, readings: plan.toStore.length, err });
        return false;
      }
      addStoreOutcomes(ack, plan.toStore, res);
      notifyStored(pod, plan.toStore, res);
      countGaps(plan.toStore, res);
    }
    if (plan.repeats.length > 0) {
      // Same (device, seq) twice in one batch: settled against the copy just stored, so an
      // equivocating copy is recorded as evidence by the store.
      try {
        const res = await committer.submit(plan.repeats);
        addStoreOutcomes(ack, plan.repeats, res);
        notifyStored(pod, plan.repeats, res);
      } catch (err) {
        m.storeErrors.inc();
        log.error('store of repeated seqs failed', { pod, err });
      }
    }
    let equivocations = 0;
    // Every refused reading, before seqs are merged: the metric (this process) and the node's
    // per-code counts in the store (kept across restarts).
    const rejectedByCode: Record<string, number> = {};
    for (const r of ack.rejected) {
      m.rejected.inc({ code: r.code });
      rejectedByCode[r.code] = (rejectedByCode[r.code] ?? 0) + 1;
      if (r.code === 'BAL_EQUIVOCATION') equivocations++;
    }
    const rejectedCount = ack.rejected.length;
    finalizeAck(ack);

    // Counters only for the outcomes that happened (one reading per message: mostly just `stored`).
    if (ack.stored.length > 0) m.readings.inc({ outcome: 'stored' }, ack.stored.length);
    if (ack.duplicate.length > 0) m.readings.inc({ outcome: 'duplicate' }, ack.duplicate.length);
    if (ack.rejected.length > 0) m.readings.inc({ outcome: 'rejected' }, ack.rejected.length);
    if (plan.deferred > 0) m.readings.inc({ outcome: 'deferred' }, plan.deferred);
    if (plan.unattributable > 0) m.readings.inc({ outcome: 'unattributable' }, plan.unattributable);
    if (ack.rejected.length > 0) log.info('readings rejected', { pod, rejected: ack.rejected.slice(0, 10).map((r) => `${r.seq}:${r.code}`), count: ack.rejected.length });

    if (rejectedCount + ack.duplicate.length + equivocations > 0) {
      store.addNodeCounters(pod, { rejected: rejectedCount, rejectedByCode, duplicates: ack.duplicate.length, equivocations })
        .then(() => {
          try { deps.onCounters?.(pod); } catch (err) { m.internalErrors.inc(); log.error('onCounters hook failed', { pod, err }); }
        }, (err) => log.warn('node counters update failed', { pod, err }));
    }
    if (ack.stored.length + ack.duplicate.length + ack.rejected.length === 0) return true;
    if (ackWindow) ackWindow.add(pod, ack.duplicate.length === 0 ? ack.stored : [...ack.stored, ...ack.duplicate], ack.rejected);
    else publishAck(pod, ack);
    return true;
  }

  function notifyStored(pod: string, inputs: readonly StoredReadingInput[], res: StoreBatchResult): void {
    if (!deps.onStored) return;
    const stored: StoredReadingNotice[] = [];
    inputs.forEach((x, i) => { if (res.outcomes[i] === 'stored') stored.push({ id: res.ids[i]!, digest: x.digest, signer: x.signer, reading: x.reading }); });
    if (stored.length === 0) return;
    try { deps.onStored(pod, stored); } catch (err) { m.internalErrors.inc(); log.error('onStored hook failed', { pod, err }); }
  }

  /** The verdicts, at once when the mirror knows every signer; else a promise (registry look-ups). */
  function registryVerdicts(pod: string, items: readonly CoreItem[]): (RegistryVerdict | null)[] | Promise<(RegistryVerdict | null)[]> {
    const out: (RegistryVerdict | null)[] = new Array(items.length).fill(null);
    let misses: Promise<void>[] | null = null;
    let memo: Map<string, Promise<RegistryVerdict>> | null = null;
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (!it.ok) continue;
      const ts = it.reading.timestamp;
      if (mirror.checkLocal(pod, it.signer, ts) === null) { out[i] = LOCAL_OK; continue; }
      const key = `${it.signer}|${ts}`;
      memo ??= new Map();
      let p = memo.get(key);
      if (!p) { p = mirror.checkSigner(pod, it.signer, ts); memo.set(key, p); }
      (misses ??= []).push(p.then((v) => { out[i] = v; }));
    }
    return misses === null ? out : Promise.all(misses).then(() => out);
  }

  /** Gaps seen on arrival, per device, among the inputs the store just stored (the store's node table keeps the exact count). */
  function countGaps(inputs: readonly StoredReadingInput[], res: StoreBatchResult): void {
    if (inputs.length === 1) { // one reading per message: no grouping
      if (res.outcomes[0] === 'stored') gapsOf(inputs[0]!.signer, [inputs[0]!.reading.seq]);
      return;
    }
    const bySigner = new Map<Hex, number[]>();
    inputs.forEach((x, i) => { if (res.outcomes[i] === 'stored') (bySigner.get(x.signer) ?? bySigner.set(x.signer, []).get(x.signer)!).push(x.reading.seq); });
    for (const [signer, seqs] of bySigner) gapsOf(signer, seqs);
  }

  function gapsOf(signer: Hex, seqs: number[]): void {
    if (seqs.length > 1) seqs.sort((a, b) => a - b);
    let last = lastSeq.get(signer);
    for (const seq of seqs) {
      if (last !== undefined && seq > last + 1) m.gaps.inc(undefined, seq - last - 1);
      if (last === undefined || seq > last) last = seq;
    }
    if (last !== undefined) lastSeq.set(signer, last);
    if (lastSeq.size > 1_000_000) lastSeq.clear();
  }

  function publishAck(pod: string, ack: AckMessage | CumulativeAck): void {
    let payload: string;
    try {
      payload = ack.v === 2 ? serializeCumulativeAck(ack) : serializeAck(ack);
    } catch (err) {
      // A bug, never bad input (the codec refuses an ack it would not parse): counted, the device resends.
      m.internalErrors.inc();
      log.error('ack not serializable; not sent', { pod, err });
      return;
    }
    mqtt.publish(topicFor(pod, 'ack'), payload, { qos: ackQos }, (err) => {
      if (err) { m.ackErrors.inc(); log.warn('ack publish failed', { pod, err }); } else m.acks.inc();
    });
  }

  await source.start(handle, { maxInFlight });
  log.info('ingest subscribed', { source: source.kind, from: source.describe, secp: pool.secp, threads: pool.threads });

  const idle = (): Promise<void> => (inFlight === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r)));
  return {
    idle,
    inFlight: () => inFlight,
    async stop() {
      stopped = true;
      await source.stop();
      await idle();
      ackWindow?.flushAll();
    },
  };
}
