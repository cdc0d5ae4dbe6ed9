/**
 * MQTT uplink (DESIGN §4, issue 4 item 6). Sends spooled readings in QoS 1 batches on
 * `ln/v1/{pod}/readings`, oldest first, with at most `inFlightBatches` unacknowledged batches;
 * applies the BAL's acks to the spool; resends from the oldest unacked reading after a
 * reconnect or an ack timeout (at-least-once: the BAL acks a resent reading as a duplicate).
 * Keeps a retained `status` message with an `offline` last will.
 *
 * Three parts: the MQTT session (mqtt-session.ts: connect, backoff, 5 → 3.1.1, TLS, will), the
 * pure send window (batch-window.ts), and this file, which routes topics and encodes messages
 * with the shared codecs, over any SpoolPort.
 */
import { topicFor, type TopicKind } from '@lightnode/shared/topics';
import { isLightNodeError } from '@lightnode/shared/errors';
import { ackLists, parseAnyAck, serializeReadingsBatchJson, serializeStatus } from '@lightnode/shared/messages';
import type { Hex } from '@lightnode/shared/hex';
import type { MqttConfig } from '../config.js';
import type { AckInput, SpoolPort } from '../spool/port.js';
import { Metrics } from '../ops/metrics.js';
import { nullLogger, type Logger } from '../ops/logger.js';
import { every, systemClock, type Clock } from '../scheduler/clock.js';
import { BatchWindow } from './batch-window.js';
import { MqttSession, type SessionState } from './mqtt-session.js';

export interface UplinkOptions {
  config: MqttConfig;
  pod: string;
  device: Hex;
  agentVersion: string;
  spool: SpoolPort;
  metrics?: Metrics;
  logger?: Logger;
  /** Time and timers (status interval, ack timeout, reconnect backoff). Default: the system clock. */
  clock?: Clock;
}

/** Retry period of an ack the spool could not apply (locked), ms. */
const ACK_RETRY_MS = 1000;

/** Handler for messages on a subscribed kind (setpoints). */
export type MessageHandler = (payload: Buffer) => void;

/** The uplink. `start()` connects; `notify()` after spooling; `stop()` publishes offline and ends. */
export class Uplink {
  readonly #o: UplinkOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #session: MqttSession;
  readonly #window: BatchWindow;
  readonly #topics: { readings: string; ack: string; status: string };
  readonly #handlers = new Map<string, MessageHandler>();
  #stopTimers: (() => void)[] = [];
  #pumping = false;
  #lingerTimer: unknown = null;
  #lastAckMs: number | null = null;
  /** Acks the spool could not apply yet (EDGE_SPOOL_BUSY), oldest first: retried, never dropped. */
  readonly #unapplied: AckInput[] = [];
  #ackRetry: unknown;
  readonly #m;

  constructor(opts: UplinkOptions) {
    this.#o = opts;
    this.#log = (opts.logger ?? nullLogger).child({ component: 'uplink' });
    this.#clock = opts.clock ?? systemClock;
    this.#topics = { readings: topicFor(opts.pod, 'readings'), ack: topicFor(opts.pod, 'ack'), status: topicFor(opts.pod, 'status') };
    this.#window = new BatchWindow({ maxInFlight: opts.config.inFlightBatches, ackTimeoutMs: opts.config.ackTimeoutMs });
    const m = opts.metrics ?? new Metrics();
    this.#m = {
      published: m.counter('uplink_readings_published_total', 'Readings published (including resends)'),
      batches: m.counter('uplink_batches_published_total', 'Reading batches published'),
      resends: m.counter('uplink_resends_total', 'Times the uplink rewound to the oldest unacked reading, by reason'),
      subscribeFailures: m.counter('uplink_subscribe_failures_total', 'Ack/setpoint subscriptions refused or timed out (the session is dropped and made again)'),
      acks: m.counter('uplink_acks_total', 'Ack messages received, by result (ok|invalid)'),
      spoolErrors: m.counter('uplink_spool_errors_total', 'Spool calls of the uplink that failed and are retried (op: applyAck|pending), by code'),
    };
    m.gaugeFn('uplink_acks_unapplied', 'Received acks waiting for the spool (locked) to take them', () => this.#unapplied.length);
    this.#session = new MqttSession({
      config: opts.config, clock: this.#clock, logger: this.#log, metrics: m,
      will: () => this.#statusMessage('offline'),
      onConnect: () => this.#onConnect(),
      onMessage: (topic, payload) => this.#onMessage(topic, payload),
    });
    m.gaugeFn('uplink_inflight_batches', 'Published batches not yet fully acked', () => this.#window.inFlight);
  }

  get connected(): boolean { return this.#session.connected; }
  /** The MQTT protocol level in use: 5, or 4 (3.1.1) as configured or after a fallback. */
  get protocolVersion(): 4 | 5 { return this.#session.protocolVersion; }
  get lastAckMs(): number | null { return this.#lastAckMs; }
  /** The MQTT session's connection and takeover state (/healthz). */
  get sessionState(): SessionState { return this.#session.state; }

  #statusMessage(state: 'online' | 'offline'): { topic: string; payload: string; retain: true } {
    const st = this.#o.spool.status();
    const payload = serializeStatus({
      v: 1, pod: this.#o.pod, device: this.#o.device, state, ts: this.#clock.now(), lastSeq: st.lastSeq,
      spoolDepth: st.depth, quarantined: st.quarantined, agentVersion: this.#o.agentVersion,
    });
    return { topic: this.#topics.status, payload, retain: true };
  }

  /** Register the handler of a subscribed topic kind (e.g. 'setpoints'); call before start(). */
  on(kind: TopicKind, handler: MessageHandler): void {
    this.#handlers.set(topicFor(this.#o.pod, kind), handler);
  }

  /** Connect (non-blocking: returns at once; the uplink keeps trying with backoff). */
  start(): void {
    this.#session.start();
    const c = this.#o.config;
    this.#stopTimers = [
      every(this.#clock, c.statusIntervalMs, () => {
        if (!this.connected) return;
        try {
          this.#session.publish(this.#statusMessage('online'));
        } catch (err) {
          // e.g. a clock before 2001 (no RTC, no NTP yet): the codec refuses the ts; try again next time
          this.#log.warn('status not sent', { err });
        }
      }),
      every(this.#clock, Math.max(100, Math.min(5000, c.ackTimeoutMs / 4)), () => this.#checkAckTimeout()),
    ];
  }

  #onConnect(): void {
    // A fresh session: anything in flight before may or may not have reached the BAL; resend
    // from the oldest spooled reading (the BAL answers duplicates), oldest first.
    this.#rewind('reconnect');
    void this.#announce();
  }

  async #announce(): Promise<void> {
    try {
      await this.#session.subscribe([this.#topics.ack, ...this.#handlers.keys()]);
    } catch (err) {
      // Without the ack subscription no reading is ever acked (the spool only grows): start a
      // new session, which subscribes again (seen on NATS's MQTT listener under load: a SUBACK
      // failure when its JetStream consumer could not be created in time).
      this.#log.warn('mqtt subscribe failed; reconnecting', { err });
      this.#m.subscribeFailures.inc();
      this.#session.dropConnection();
      return;
    }
    try {
      await this.#session.publishAsync(this.#statusMessage('online'));
    } catch (err) {
      this.#log.warn('mqtt status failed', { err });
    }
    this.#pump();
  }

  #rewind(reason: string): void {
    if (this.#window.rewind()) this.#m.resends.inc({ reason });
  }

  #checkAckTimeout(): void {
    if (!this.#window.overdue(this.#clock.now())) return;
    this.#log.warn('ack timeout: resending from the oldest unacked reading');
    this.#rewind('ack_timeout');
    this.#pump();
  }

  /**
   * Tell the uplink new readings are spooled. With `lingerMs` > 0 and no full batch waiting, the
   * publish waits up to lingerMs so the readings of that window go in one message (fewer
   * messages for the broker and the BAL; each reading is up to lingerMs later). A full batch, a
   * reconnect or an ack still publish at once.
   */
  notify(): void {
    const linger = this.#o.config.lingerMs ?? 0;
    if (linger <= 0) { this.#pump(); return; }
    if (this.#lingerTimer !== null) return;
    const w = this.#window;
    if (this.#o.spool.pending(w.cursor, this.#o.config.batchSize).length >= this.#o.config.batchSize) { this.#pump(); return; }
    this.#lingerTimer = this.#clock.setTimeout(() => { this.#lingerTimer = null; this.#pump(); }, linger);
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      this.#send();
    } catch (err) {
      // A locked spool (EDGE_SPOOL_BUSY) or any other failure: the next notify, ack or ack-timeout check pumps again.
      this.#m.spoolErrors.inc({ op: 'pending', code: isLightNodeError(err) ? err.code : 'EDGE_SPOOL_READ' });
      this.#log.warn('spool read failed; sending later', { err });
    } finally {
      this.#pumping = false;
    }
  }

  #send(): void {
    {
      const w = this.#window;
      while (this.connected && w.hasRoom) {
        const batch = w.take(this.#o.spool.pending(w.cursor, this.#o.config.batchSize), this.#clock.now());
        if (!batch) break;
        // The bodies are the signed readings exactly as spooled: spliced by the shared codec, not re-encoded.
        const payload = serializeReadingsBatchJson(batch.rows.map((r) => r.body), batch.bytes);
        this.#session.publish({ topic: this.#topics.readings, payload });
        this.#m.batches.inc();
        this.#m.published.inc({}, batch.rows.length);
      }
    }
  }

  #onMessage(topic: string, payload: Buffer): void {
    if (topic === this.#topics.ack) {
      this.#onAck(payload);
      return;
    }
    const h = this.#handlers.get(topic);
    if (!h) return;
    try {
      h(payload);
    } catch (err) {
      this.#log.error('message handler failed', { topic, err });
    }
  }

  #onAck(payload: Buffer): void {
    let ack;
    try {
      // v 1 (one per batch) or v 2 (cumulative ranges, one per BAL ack window): the same lists.
      ack = ackLists(parseAnyAck(payload));
    } catch (err) {
      this.#m.acks.inc({ result: 'invalid' });
      this.#log.warn('invalid ack ignored', { err });
      return;
    }
    this.#m.acks.inc({ result: 'ok' });
    this.#lastAckMs = this.#clock.now();
    this.#unapplied.push(ack);
    this.#applyAcks();
  }

  /**
   * Apply the received acks in order. A locked spool (issue 17: a second process on spool.db) keeps
   * them queued and retries in a second: the readings stay spooled — nothing is deleted before
   * its ack is applied — and stay in flight, so the window does not resend them meanwhile.
   */
  #applyAcks(): void {
    while (this.#unapplied.length > 0) {
      const ack = this.#unapplied[0]!;
      let res;
      try {
        res = this.#o.spool.applyAck(ack);
      } catch (err) {
        const code = isLightNodeError(err) ? err.code : 'EDGE_SPOOL_WRITE';
        this.#m.spoolErrors.inc({ op: 'applyAck', code });
        this.#log.warn('ack not applied yet: spool unavailable, retrying', { code, queued: this.#unapplied.length, err });
        this.#ackRetry ??= this.#clock.setTimeout(() => { this.#ackRetry = undefined; this.#applyAcks(); }, ACK_RETRY_MS, { keepAlive: true });
        return;
      }
      this.#unapplied.shift();
      if (res.quarantined) this.#log.warn('readings rejected by the BAL, quarantined', { rejected: ack.rejected.slice(0, 10) });
      this.#window.acked(ack.stored);
      this.#window.acked(ack.duplicate);
      this.#window.acked(ack.rejected.map((r) => r.seq));
    }
    this.#pump();
  }

  /** Publish a message of `kind` (activations) at QoS 1; resolves when the broker has it. Throws EDGE_MQTT_NOT_CONNECTED when down. */
  async publish(kind: TopicKind, payload: string | Buffer, opts: { retain?: boolean } = {}): Promise<void> {
    await this.#session.publishAsync({ topic: topicFor(this.#o.pod, kind), payload, retain: opts.retain ?? false });
  }

  /** Cut the TCP link without an MQTT DISCONNECT, as a failing network would (fault injection, tests). */
  dropConnection(): void {
    this.#session.dropConnection();
  }

  /** Publish an `offline` status (retained) and disconnect. */
  async stop(): Promise<void> {
    for (const cancel of this.#stopTimers.splice(0)) cancel();
    if (this.#ackRetry !== undefined) this.#clock.clearTimeout(this.#ackRetry);
    this.#ackRetry = undefined;
    if (this.#lingerTimer !== null) { this.#clock.clearTimeout(this.#lingerTimer); this.#lingerTimer = null; }
    await this.#session.stop(() => this.#statusMessage('offline'));
  }
}
