/** A minimal BAL stand-in that verifies signatures and acks, over a real broker (real sockets). */
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import mqtt, { type MqttClient } from 'mqtt';
import { recoverReadingSigner, type Eip712Domain } from '@lightnode/shared/eip712';
import { parseReadingsBatch, seqRanges, serializeCumulativeAck } from '@lightnode/shared/messages';
import { topicFor } from '@lightnode/shared/topics';
import type { SignedReading } from '@lightnode/shared/reading';

/** What the fake BAL saw. */
export interface FakeBal {
  received: SignedReading[];
  /** seqs in first-arrival order */
  firstArrival: number[];
  stored: Set<number>;
  /** When false, the BAL receives but withholds acks. */
  acking: boolean;
  /** Seqs to reject with a code. */
  rejectSeqs: Map<number, string>;
  badSignatures: number;
  flushAcks(): Promise<void>;
  close(): Promise<void>;
}

/** Subscribes to the pod's readings, verifies each signature against `device`, acks stored/duplicate/rejected. */
export async function startFakeBal(url: string, pod: string, domain: Eip712Domain, device: string, opts: { protocolVersion?: 4 | 5; connectOptions?: Record<string, unknown>; ackVersion?: 1 | 2 } = {}): Promise<FakeBal> {
  const client: MqttClient = await mqtt.connectAsync(url, { ...(opts.connectOptions ?? {}), protocolVersion: opts.protocolVersion ?? 4, clientId: `bal-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200 });
  const withheld: { stored: number[]; duplicate: number[]; rejected: { seq: number; code: string; reason: string }[] }[] = [];
  const bal: FakeBal = {
    received: [], firstArrival: [], stored: new Set(), acking: true, rejectSeqs: new Map(), badSignatures: 0,
    async flushAcks() {
      if (opts.ackVersion === 2) {
        // Cumulative: everything withheld in ONE v 2 ack (settled ranges + rejections).
        const all = withheld.splice(0);
        if (all.length > 0) await client.publishAsync(topicFor(pod, 'ack'), v2Ack(all), { qos: 1 });
        return;
      }
      for (const a of withheld.splice(0)) await client.publishAsync(topicFor(pod, 'ack'), JSON.stringify({ v: 1, ...a }), { qos: 1 });
    },
    async close() { await client.endAsync(true); },
  };
  client.on('message', (_topic, payload) => {
    const batch = parseReadingsBatch(payload, pod);
    const ack = { stored: [] as number[], duplicate: [] as number[], rejected: [] as { seq: number; code: string; reason: string }[] };
    for (const r of batch.readings) {
      bal.received.push(r);
      let ok = false;
      try { ok = recoverReadingSigner(domain, r) === device.toLowerCase(); } catch { ok = false; }
      if (!ok) { bal.badSignatures++; ack.rejected.push({ seq: r.seq, code: 'BAL_SIGNATURE_INVALID', reason: 'signer mismatch' }); continue; }
      const rej = bal.rejectSeqs.get(r.seq);
      if (rej) { ack.rejected.push({ seq: r.seq, code: rej, reason: 'test' }); continue; }
      if (bal.stored.has(r.seq)) ack.duplicate.push(r.seq);
      else { bal.stored.add(r.seq); bal.firstArrival.push(r.seq); ack.stored.push(r.seq); }
    }
    if (bal.acking) void client.publishAsync(topicFor(pod, 'ack'), opts.ackVersion === 2 ? v2Ack([ack]) : JSON.stringify({ v: 1, ...ack }), { qos: 1 }).catch(() => undefined);
    else withheld.push(ack);
  });
  await client.subscribeAsync(topicFor(pod, 'readings'), { qos: 1 });
  return bal;
}

type AckLists = { stored: number[]; duplicate: number[]; rejected: { seq: number; code: string; reason: string }[] };
/** One cumulative (v 2) ack for several per-batch verdict lists: settled beats rejected, as the BAL's ack window does. */
function v2Ack(lists: AckLists[]): string {
  const settled = new Set(lists.flatMap((a) => [...a.stored, ...a.duplicate]));
  const rejected = new Map<number, AckLists['rejected'][number]>();
  for (const a of lists) for (const r of a.rejected) if (!settled.has(r.seq)) rejected.set(r.seq, r);
  return serializeCumulativeAck({ v: 2, settled: seqRanges(settled), rejected: [...rejected.values()].sort((a, b) => a.seq - b.seq) });
}

/** A random valid PoD code, so tests sharing a broker never see each other's topics. */
/**
 * An aedes broker and a fake BAL that acks `device`'s readings for `pod`; both are closed through
 * `cleanups` (the test file's after-each list).
 */
export async function startBrokerWithBal(pod: string, domain: Eip712Domain, device: string, cleanups: (() => Promise<void> | void)[]): Promise<{ broker: TestBroker; bal: FakeBal }> {
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  const bal = await startFakeBal(broker.url, pod, domain, device);
  cleanups.push(() => bal.close());
  return { broker, bal };
}

export function randomPod(): string {
  return `IT${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}E${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
}

/** Poll `cond` every 20 ms until true or `timeoutMs` (then throw with `what`). */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
