/**
 * The data-server feed (issue 13 §4): subscribes `cim/v1/+/meter-readings` (QoS 1), checks each
 * signed MeterReadings message (./import-plan.ts), stores its readings and the message in ONE
 * store transaction — all or nothing — and only then replies on `cim/v1/{serverId}/ack`
 * (./reply.ts). Stored readings are pending like any other and the anchorer takes them.
 * Messages are handled one at a time, in arrival order; a message whose registry check or store
 * transaction fails is not answered, so the server sends it again. Nothing here throws out of a handler.
 */
import type { MqttClient } from 'mqtt';
import { CIM_PREFIX, cimTopic, parseCimTopic } from '@lightnode/shared/topics';
import type { Eip712Domain } from '@lightnode/shared/eip712';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import type { BalStore, StoreBatchResult, StoredReadingInput } from '../store/types.js';
import type { DataServerMirror } from '../registry/data-server-mirror.js';
import type { StoredReadingNotice } from '../ingest/ingest.js';
import { installMessageGate } from '../ingest/message-gate.js';
import { planCimMessage, type CimMessageFacts, type CimRejection } from './import-plan.js';
import { cimReply, encodeReply, type ReplyOutcome } from './reply.js';

/** The subscription of the data-server feed. */
export const CIM_READINGS_FILTER = `${CIM_PREFIX}/+/meter-readings`;

export interface CimIngestDeps {
  mqtt: MqttClient;
  store: BalStore;
  mirror: Pick<DataServerMirror, 'check'>;
  /** The Light Node EIP-712 domain (chain id, PodRegistry): data servers sign in it too. */
  domain: Eip712Domain;
  metrics: MetricsRegistry;
  log: Logger;
  /** Messages ahead of the BAL clock by more than this are refused (BAL_TIMESTAMP_FUTURE); ms, default 60,000. */
  futureSkewMs?: number;
  /** Largest wire message, bytes; default 4 MiB. */
  maxMessageBytes?: number;
  /** `Header.Source` of the replies; default `lightnode-bal`. */
  replySource?: string;
  now?: () => number;
  /**
   * Shared-subscription group (`ingest.shareGroup`): subscribe `$share/<group>/cim/v1/+/meter-readings`
   * so each message goes to one ingest instance of the group; null/absent = a plain subscription.
   */
  shareGroup?: string | null;
  /** Called per PoD with the readings a message stored (certified delivery, dashboard), before the reply. */
  onStored?: (pod: string, stored: readonly StoredReadingNotice[]) => void;
}

export interface CimIngest {
  /** Resolves when no message is queued or in work. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Subscribe and start handling data-server messages. Resolves once the subscription is granted. */
export async function startCimIngest(deps: CimIngestDeps): Promise<CimIngest> {
  const { mqtt, store, log } = deps;
  const now = deps.now ?? Date.now;
  const futureSkewMs = deps.futureSkewMs ?? 60_000;
  const maxBytes = deps.maxMessageBytes ?? 4 * 1024 * 1024;
  const source = deps.replySource ?? 'lightnode-bal';
  const r = deps.metrics;
  const m = {
    messages: r.counter('bal_cim_messages_total', 'Data-server messages by outcome (stored, duplicate, rejected, deferred)', ['outcome']),
    rejected: r.counter('bal_cim_rejected_total', 'Refused data-server messages by code', ['code']),
    readings: r.counter('bal_cim_readings_total', 'Readings of data-server messages by outcome (stored, duplicate)', ['outcome']),
    replyErrors: r.counter('bal_cim_reply_errors_total', 'Replies to data servers that failed to publish'),
    internalErrors: r.counter('bal_cim_internal_errors_total', 'Unexpected errors while handling a data-server message'),
  };

  let queued = 0;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  const gate = installMessageGate(mqtt, (p) => parseCimTopic(p.topic)?.kind === 'meter-readings', () => queued >= 4);

  const onMessage = (topic: string, payload: Buffer): void => {
    const t = parseCimTopic(topic);
    if (!t || t.kind !== 'meter-readings' || stopped) return;
    queued++;
    chain = chain.then(() => handle(t.serverId, payload))
      .catch((err) => { m.internalErrors.inc(); log.error('data-server message failed', { serverId: t.serverId, err }); })
      .finally(() => {
        queued--;
        gate.release();
        if (queued === 0) { const w = idleWaiters; idleWaiters = []; w.forEach((f) => f()); }
      });
  };
  mqtt.on('message', onMessage);

  async function handle(serverId: string, wire: Buffer): Promise<void> {
    if (wire.byteLength > maxBytes) {
      const facts: CimMessageFacts = { contentType: null, messageId: null, hash: null };
      return refuse(serverId, facts, { code: 'BAL_CIM_ENVELOPE_INVALID', reason: `message of ${wire.byteLength} bytes, over the limit of ${maxBytes}` });
    }
    const plan = await planCimMessage(serverId, new Uint8Array(wire.buffer, wire.byteOffset, wire.byteLength), {
      domain: deps.domain, check: (...a) => deps.mirror.check(...a), nowMs: now(), futureSkewMs,
    });
    if (!plan.ok) {
      if ('retry' in plan) {
        m.messages.inc({ outcome: 'deferred' });
        log.warn('data-server message deferred (registry unreachable)', { serverId, reason: plan.reason });
        return;
      }
      return refuse(serverId, plan.facts, plan.rejection);
    }
    let res: StoreBatchResult;
    try {
      res = await store.storeCimMessage(plan.message, plan.inputs);
    } catch (err) {
      m.messages.inc({ outcome: 'deferred' });
      log.error('store transaction failed; data-server message not answered', { serverId, readings: plan.inputs.length, err });
      return;
    }
    if (res.equivocation.length > 0) {
      return refuse(serverId, plan.facts, {
        code: 'BAL_CIM_EQUIVOCATION',
        reason: `${res.equivocation.length} reading(s) already stored under the same (server, seq) with other content: another message with this Header.Timestamp`,
      });
    }
    const stored = res.outcomes.filter((o) => o === 'stored').length;
    const duplicate = res.outcomes.length - stored;
    m.messages.inc({ outcome: stored > 0 ? 'stored' : 'duplicate' });
    m.readings.inc({ outcome: 'stored' }, stored);
    m.readings.inc({ outcome: 'duplicate' }, duplicate);
    notifyStored(plan.inputs, res);
    log.info('data-server message stored', { serverId, hash: plan.message.hash, stored, duplicate });
    reply(serverId, plan.facts, { stored, duplicate });
  }

  function refuse(serverId: string, facts: CimMessageFacts, rejection: CimRejection): void {
    m.messages.inc({ outcome: 'rejected' });
    m.rejected.inc({ code: rejection.code });
    log.warn('data-server message refused', { serverId, code: rejection.code, reason: rejection.reason, cause: rejection.cause?.code, hash: facts.hash });
    reply(serverId, facts, rejection);
  }

  function notifyStored(inputs: readonly StoredReadingInput[], res: StoreBatchResult): void {
    if (!deps.onStored) return;
    const byPod = new Map<string, StoredReadingNotice[]>();
    inputs.forEach((x, i) => {
      if (res.outcomes[i] !== 'stored') return;
      const list = byPod.get(x.reading.pod) ?? byPod.set(x.reading.pod, []).get(x.reading.pod)!;
      list.push({ id: res.ids[i]!, digest: x.digest, signer: x.signer, reading: x.reading });
    });
    for (const [pod, stored] of byPod) {
      try { deps.onStored(pod, stored); } catch (err) { m.internalErrors.inc(); log.error('onStored hook failed', { pod, err }); }
    }
  }

  function reply(serverId: string, facts: CimMessageFacts, outcome: ReplyOutcome): void {
    let text: string;
    try {
      text = encodeReply(facts, cimReply(facts, outcome, new Date(now()).toISOString(), source));
    } catch (err) {
      m.internalErrors.inc();
      log.error('reply encoding failed', { serverId, err });
      return;
    }
    mqtt.publish(cimTopic(serverId, 'ack'), text, { qos: 1 }, (err) => {
      if (err) { m.replyErrors.inc(); log.warn('reply publish failed', { serverId, err }); }
    });
  }

  const filter = deps.shareGroup ? `$share/${deps.shareGroup}/${CIM_READINGS_FILTER}` : CIM_READINGS_FILTER;
  await mqtt.subscribeAsync(filter, { qos: 1 });
  log.info('data-server feed subscribed', { filter });
  const idle = (): Promise<void> => (queued === 0 ? Promise.resolve() : new Promise((res) => idleWaiters.push(res)));
  return {
    idle,
    async stop() {
      stopped = true;
      mqtt.removeListener('message', onMessage);
      gate.remove();
      await mqtt.unsubscribeAsync(filter).catch(() => {});
      await idle();
    },
  };
}
