/**
 * Certified delivery (docs/data-access.md "Streams and topics"): the BAL republishes, on the
 * PoD's `certified/v1/{pod}/readings`, every reading once the store committed it, and an anchor
 * notice per PoD once the reading's anchor is confirmed — QoS 1, never retained (a stream, not
 * a state). Who may read which stream is the broker's business (grants.ts, dynsec-enforcer.ts).
 * A failed publish is counted and logged; it never fails the ingest, its ack or the anchorer:
 * the store stays the record and REST serves what a consumer missed.
 */
import type { MqttClient } from 'mqtt';
import { certifiedTopic } from '@lightnode/shared/topics';
import { MAX_ANCHOR_NOTICE_IDS, serializeCertifiedMessage, type CertifiedMessage } from '@lightnode/shared/certified-message';
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
}

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
  let pending = 0;
  let waiters: (() => void)[] = [];
  const settle = (): void => { if (--pending === 0) { const w = waiters; waiters = []; w.forEach((f) => f()); } };

  function publish(pod: string, msg: CertifiedMessage): void {
    let topic: string; let body: string;
    try { topic = certifiedTopic(pod); body = serializeCertifiedMessage(msg); } catch (err) {
      errors.inc();
      log.error('certified message not built', { pod, kind: msg.kind, err });
      return;
    }
    pending++;
    mqtt.publish(topic, body, { qos: 1, retain: false }, (err) => {
      if (err) { errors.inc(); log.warn('certified publish failed', { pod, kind: msg.kind, err }); } else published.inc({ kind: msg.kind });
      settle();
    });
  }

  return {
    publishStored(pod, stored) {
      for (const s of stored) {
        const { signature, ...reading } = s.reading;
        publish(pod, { v: 1, kind: 'reading', id: s.id, digest: s.digest, signer: s.signer, signature, reading });
      }
    },
    async publishAnchor(anchor) {
      if (anchor.blockNumber === null) { log.warn('anchor notice skipped: anchor not mined', { index: anchor.index }); return; }
      const byPod = new Map<string, number[]>();
      try {
        for (let from = 0; from < anchor.leafCount; from += pageSize) {
          const page = await store.readingsOfAnchor(anchor.index, { fromLeaf: from, limit: pageSize });
          for (const r of page) (byPod.get(r.pod) ?? byPod.set(r.pod, []).get(r.pod)!).push(r.id);
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
