/**
 * Certified delivery (docs/data-access.md "Streams and topics"): the BAL republishes, on the
 * PoD's `certified/v1/{pod}/readings`, every reading once the store committed it, and an anchor
 * notice per PoD once the reading's anchor is confirmed — QoS 1, never retained (a stream, not
 * a state). Who may read which stream is the broker's business (grants.ts, dynsec-enforcer.ts).
 * A failed publish is counted and logged; it never fails the ingest, its ack or the anchorer:
 * the store stays the record and REST serves what a consumer missed.
 * With `cimFormats`, the same stream also goes out as IEC 61968-9 MeterReadings on
 * `certified/v1/{pod}/readings/cim-xml` and/or `…/cim-json` (shared/src/cim/certified-stream.ts):
 * `Verb=created` with each reading's digest when stored, `Verb=changed` with the anchor
 * transaction added when its anchor is confirmed. The JSON stream is unchanged.
 */
import type { MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { certifiedFormatTopic, certifiedTopic, type CimCertifiedFormat } from '@lightnode/shared/topics';
import { MAX_ANCHOR_NOTICE_IDS, serializeCertifiedMessage, type CertifiedMessage } from '@lightnode/shared/certified-message';
import { certifiedCimMessages, type CimStreamHeader } from '@lightnode/shared/cim/certified-stream';
import { encodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { encodeCimJson } from '@lightnode/shared/cim/json-codec';
import type { CertifiedReading } from '@lightnode/shared/cim/readings-map';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import type { AnchorRecord, BalStore } from '../store/types.js';
import type { StoredReadingNotice } from '../ingest/ingest.js';

export interface CertifiedPublisherOptions {
  /** The BAL's MQTT client (role `bal`: may publish on certified/v1/+/readings). */
  mqtt: MqttClient;
  /** Where an anchor's readings are read from. */
  store: Pick<BalStore, 'readingsOfAnchor'>;
  metrics: MetricsRegistry;
  log: Logger;
  /** Readings read per store call when building anchor notices; default 10,000. */
  anchorPageSize?: number;
  /** CIM formats published beside the JSON stream (`dataAccess.cimFormats`); default none. */
  cimFormats?: readonly CimCertifiedFormat[];
  /** `Header.Source` of the CIM messages; default `LightNode-BAL`. */
  cimSource?: string;
}

const ENCODE: Record<CimCertifiedFormat, typeof encodeCimXml> = { 'cim-xml': encodeCimXml, 'cim-json': encodeCimJson };

export interface CertifiedPublisher {
  /** Republish stored readings (pass as the ingest's `onStored`). */
  publishStored(pod: string, stored: readonly StoredReadingNotice[]): void;
  /** Publish the anchor notices of a confirmed anchor, one per PoD (pass as the anchorer's `onConfirmed`). */
  publishAnchor(anchor: AnchorRecord): Promise<void>;
  /** Resolves when every publish started so far has been acknowledged or failed. */
  idle(): Promise<void>;
}

/** A publisher of certified-stream messages on the BAL's MQTT client. */
export function createCertifiedPublisher(opts: CertifiedPublisherOptions): CertifiedPublisher {
  const { mqtt, store, log } = opts;
  const pageSize = Math.max(1, opts.anchorPageSize ?? 10_000);
  const published = opts.metrics.counter('bal_certified_published_total', 'Certified-stream messages published to data users (QoS 1 acknowledged)', ['kind']);
  const errors = opts.metrics.counter('bal_certified_publish_errors_total', 'Certified-stream messages that could not be published (logged; the store keeps the record)');
  const cimFormats = [...new Set(opts.cimFormats ?? [])];
  const cimPublished = opts.metrics.counter('bal_certified_cim_published_total', 'Certified-stream CIM MeterReadings messages published (QoS 1 acknowledged)', ['format', 'verb']);
  const cimOmitted = opts.metrics.counter('bal_certified_cim_values_omitted_total', 'Reading values left out of CIM stream messages (no ReadingType for their quantity)');
  let pending = 0;
  let waiters: (() => void)[] = [];
  const settle = (): void => { if (--pending === 0) { const w = waiters; waiters = []; w.forEach((f) => f()); } };

  function send(topic: string, body: string, what: Record<string, unknown>, done: () => void): void {
    pending++;
    mqtt.publish(topic, body, { qos: 1, retain: false }, (err) => {
      if (err) { errors.inc(); log.warn('certified publish failed', { ...what, err }); } else done();
      settle();
    });
  }

  function publish(pod: string, msg: CertifiedMessage): void {
    let topic: string; let body: string;
    try { topic = certifiedTopic(pod); body = serializeCertifiedMessage(msg); } catch (err) {
      errors.inc();
      log.error('certified message not built', { pod, kind: msg.kind, err });
      return;
    }
    send(topic, body, { pod, kind: msg.kind }, () => published.inc({ kind: msg.kind }));
  }

  /** The CIM twin of a stored batch (`created`) or of anchored readings (`changed`), in every configured format. */
  function publishCim(pod: string, items: readonly CertifiedReading[], header: Omit<CimStreamHeader, 'timestamp' | 'source' | 'messageId'>): void {
    if (cimFormats.length === 0 || items.length === 0) return;
    try {
      const { messages, omittedValues } = certifiedCimMessages(items, { ...header, timestamp: new Date().toISOString(), source: opts.cimSource ?? 'LightNode-BAL', messageId: randomUUID() });
      if (omittedValues > 0) cimOmitted.inc(undefined, omittedValues);
      for (const format of cimFormats) {
        const topic = certifiedFormatTopic(pod, format);
        for (const m of messages) send(topic, ENCODE[format](m), { pod, format, verb: header.verb }, () => cimPublished.inc({ format, verb: header.verb }));
      }
    } catch (err) {
      errors.inc();
      log.error('certified CIM message not built', { pod, verb: header.verb, err });
    }
  }

  return {
    publishStored(pod, stored) {
      const cim: CertifiedReading[] = [];
      for (const s of stored) {
        const { signature, ...reading } = s.reading;
        publish(pod, { v: 1, kind: 'reading', id: s.id, digest: s.digest, signer: s.signer, signature, reading });
        cim.push({ reading, digest: s.digest, anchorTransaction: null });
      }
      publishCim(pod, cim, { verb: 'created' });
    },
    async publishAnchor(anchor) {
      if (anchor.blockNumber === null) { log.warn('anchor notice skipped: anchor not mined', { index: anchor.index }); return; }
      const byPod = new Map<string, number[]>();
      try {
        for (let from = 0; from < anchor.leafCount; from += pageSize) {
          const page = await store.readingsOfAnchor(anchor.index, { fromLeaf: from, limit: pageSize });
          for (const r of page) (byPod.get(r.pod) ?? byPod.set(r.pod, []).get(r.pod)!).push(r.id);
          if (cimFormats.length > 0) {
            const cimByPod = new Map<string, CertifiedReading[]>();
            for (const r of page) {
              const { signature: _s, ...reading } = r.reading;
              (cimByPod.get(r.pod) ?? cimByPod.set(r.pod, []).get(r.pod)!).push({ reading, digest: r.digest, anchorTransaction: anchor.transaction });
            }
            for (const [pod, items] of cimByPod) publishCim(pod, items, { verb: 'changed', correlationId: `anchor:${anchor.index}` });
          }
          if (page.length < pageSize) break;
        }
      } catch (err) {
        errors.inc();
        log.warn('anchor notices not published: readings unreadable', { index: anchor.index, err });
        return;
      }
      for (const [pod, ids] of byPod) {
        ids.sort((a, b) => a - b);
        for (let i = 0; i < ids.length; i += MAX_ANCHOR_NOTICE_IDS) {
          publish(pod, { v: 1, kind: 'anchor', ids: ids.slice(i, i + MAX_ANCHOR_NOTICE_IDS), anchorIndex: anchor.index, root: anchor.root, transaction: anchor.transaction, block: anchor.blockNumber });
        }
      }
    },
    idle: () => (pending === 0 ? Promise.resolve() : new Promise((r) => waiters.push(r))),
  };
}
